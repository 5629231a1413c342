"""The documentation site: Sphinx with MyST Markdown and the Furo theme (`make docs`).

Built with warnings as errors by `make docs` and tests/test_docs.py; `make run` builds it once into
var/docs and serves it read-only at /docs/ (slaops/docs_site.py), under the product's CSP.
"""

project = "SLA Ops"
author = "SLA Ops"
copyright = "SLA Ops contributors"  # noqa: A001 (Sphinx's name)

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
# Only the pages: the build's output, the README-style notes for the site itself, and anything that
# is not a page (images are referenced from the pages, copied by Sphinx).
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_static/README.md"]

myst_heading_anchors = 4  # "[…](rules.md#objectives)" links to a section by its title
myst_enable_extensions = ["deflist"]

html_theme = "furo"
html_title = "SLA Ops"
html_static_path = ["_static"]
templates_path = ["_templates"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
# No general index page (the site has no index entries); the search page works under the CSP.
html_use_index = False
html_baseurl = "/docs/"
