"""What the documentation names must exist: the checker behind tests/test_docs.py.

A doc (README.md, SECURITY.md, docs/*.md) is read for
- backticked paths from the repository root (`threads/clocks/rules.py`, `samples/*.eml`,
  `.env.example`): the file or directory must exist (globs must match something);
- `manage.py X` (in backticks or code blocks): a management command Django knows;
- `make X` (in backticks or code blocks): a target of the Makefile;
- backticked upper-case names with an underscore (`MAIL_POLL_EVERY`, `SLA_HEALTH_*`,
  `LOG_FORMAT=json`): a variable read from the environment, or a Django setting;
- backticked site URLs (`/api/v1/threads/{id}/`, `/inbox/`): they must resolve, `{…}` and `<…>`
  standing for any value; a query string is ignored; external URLs are never fetched.

Paths under var/, test-artifacts/ and .venv/ are made at run time and not checked.
"""

import ast
import glob
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIRS = ("var/", "test-artifacts/", ".venv/")

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
MANAGE = re.compile(r"manage\.py[ \t]+([a-z][a-z0-9_]*)")
MAKE = re.compile(r"(?:^|[\s;&|(])make\s+([a-z][\w-]*)", re.M)
SETTING = re.compile(r"^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:[A-Z0-9]+|\*))(?:=.*)?$")
URL = re.compile(r"^/[A-Za-z0-9_.\-/{}<>|:]*(\?\S*)?$")
PATH = re.compile(r"^\.?[\w.-]+(/[\w.*-]+)*/?$")
ROOT_FILE = re.compile(r"^(\.[\w-]+\.[\w.-]+|[A-Z][A-Za-z]*\.md|Makefile|[\w-]+\.(txt|toml))$")
PLACEHOLDER = re.compile(r"\{[^}]*\}|<[^>]*>")
ENV_READ = re.compile(
    r"""(?:env(?:\(\))?\.\w+|Env\(\)\.\w+|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


@dataclass(frozen=True)
class Problem:
    doc: str
    line: int
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.kind} `{self.name}` does not exist"


def docs_to_check() -> list[Path]:
    return [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]


# Named in the docs, read by others than us: a request's address, the proxy variables of HTTP
# clients (SECURITY: not used for alert traffic), prometheus_client's multiprocess directory.
# Slack slash commands the app registers (deploy/slack/manifest.yml), named like URLs.
SLASH_COMMANDS = {"/sla"}
OUTSIDE = {"REMOTE_ADDR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "PROMETHEUS_MULTIPROC_DIR"}


def env_read_by(paths) -> set[str]:
    names = set()
    for path in paths:
        text = Path(path).read_text()
        names.update(ENV_READ.findall(text))
        if ".get_value(" in text:  # a table of names read one by one (objectives/conf.py)
            names.update(re.findall(r"^\s*\"([A-Z][A-Z0-9_]+)\": \(", text, re.M))
    return names


def product_files(with_bench: bool = True) -> list[Path]:
    skip = {".venv", "tests", "migrations", "docs", "var"} | (set() if with_bench else {"bench"})
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def env_read_by_product() -> set[str]:
    """What a deployment may set: every variable the product reads (settings, `serve`, the
    gunicorn configuration, objectives' defaults), less the test settings'."""
    files = [p for p in product_files(with_bench=False) if p.name != "settings_test.py"]
    return env_read_by(files) | {"PROMETHEUS_MULTIPROC_DIR"}


def constants() -> set[str]:
    """Django's settings and ours, and the module-level constants of the code (`REPLY_CHANNELS`)."""
    from django.conf import global_settings

    names = {n for n in dir(global_settings) if n.isupper()}
    for module in product_files():
        for node in ast.parse(module.read_text()).body:
            targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
            names.update(t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper())
    return names


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*)\s*:(?!=)", text, re.M))


def manage_commands() -> set[str]:
    from django.core.management import get_commands

    return set(get_commands())


def _routes(patterns=None, prefix="") -> list[list[str]]:
    """Every path() route of the URL conf as its segments, a converter as "*"."""
    from django.urls import URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, route)
        else:
            found.append(re.sub(r"<[^>]*>", "*", route).split("/"))
    return found


def _fits(doc: list[str], route: list[str]) -> bool:
    return len(doc) == len(route) and all(
        d == r or r == "*" or PLACEHOLDER.fullmatch(d) for d, r in zip(doc, route, strict=True)
    )


def _resolves(url: str) -> bool:
    """Resolves with "1" for each placeholder, or fits a route with the placeholder in the place
    of a fixed segment (`/mail/inbound/<provider>/`)."""
    from django.urls import Resolver404, resolve

    path = url.split("?", 1)[0]
    for candidate in (path, path.rstrip("/") + "/"):
        try:
            resolve(PLACEHOLDER.sub("1", candidate))
            return True
        except Resolver404:
            continue
    segments = path.rstrip("/").removeprefix("/").split("/") + [""]
    return bool(PLACEHOLDER.search(path)) and any(_fits(segments, r) for r in _routes())


def _path_exists(name: str) -> bool:
    if PLACEHOLDER.search(name):
        return True
    if any(ch in name for ch in "*?["):
        return bool(glob.glob(str(ROOT / name)))
    return (ROOT / name).exists()


def _looks_like_repo_path(span: str, top_level: set[str]) -> bool:
    if not PATH.match(span) or span.startswith(RUNTIME_DIRS):
        return False
    first = span.split("/", 1)[0]
    if "/" in span:
        return first in top_level or first.startswith(".")
    # A bare name: a file at the root (README.md, .env.example), not an extension (`.eml`).
    return bool(ROOT_FILE.match(span))


@dataclass
class Known:
    top_level: set[str]
    commands: set[str]
    targets: set[str]
    settings: set[str]


def known() -> Known:
    top = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")} | {".ci"}
    names = env_read_by(product_files()) | constants() | OUTSIDE
    return Known(top, manage_commands(), make_targets(), names)


def check_text(text: str, doc: str = "<text>", facts: Known | None = None) -> list[Problem]:
    facts = facts or known()
    problems: list[Problem] = []

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    for match in MANAGE.finditer(text):
        if match.group(1) not in facts.commands:
            line = line_of(match.start())
            problems.append(Problem(doc, line, "manage.py command", match.group(1)))
    code = [(m.start(), m.group(0)) for m in FENCE.finditer(text)]
    code += [(m.start(1), m.group(1)) for m in CODE_SPAN.finditer(FENCE.sub(_blank, text))]
    for offset, snippet in code:
        for match in MAKE.finditer(snippet):
            if match.group(1) not in facts.targets:
                problems.append(Problem(doc, line_of(offset), "make target", match.group(1)))
    for offset, span in code:
        if snippet_is_fence(span):
            continue
        span = span.strip()
        if setting := SETTING.match(span):
            name = setting.group(1)
            if not _setting_known(name, facts.settings):
                problems.append(Problem(doc, line_of(offset), "setting", name))
        elif span in SLASH_COMMANDS:
            continue  # Slack's `/sla`, not a site URL
        elif URL.match(span) and not span.startswith("//"):
            if not _resolves(span):
                problems.append(Problem(doc, line_of(offset), "URL", span))
        elif _looks_like_repo_path(span, facts.top_level) and not _path_exists(span):
            problems.append(Problem(doc, line_of(offset), "file", span))
    return problems


def _setting_known(name: str, settings: set[str]) -> bool:
    if name.endswith("*"):  # `SLA_HEALTH_*`: some setting of that family
        return any(s.startswith(name.removesuffix("*")) for s in settings)
    return name in settings


def snippet_is_fence(snippet: str) -> bool:
    return snippet.startswith(("```", "~~~"))


def _blank(match: re.Match) -> str:
    # Spaces for a code block's text: the offsets (and line numbers) of what follows are kept.
    return re.sub(r"[^\n]", " ", match.group(0))


def check_docs() -> list[Problem]:
    facts = known()
    problems = []
    for path in docs_to_check():
        if path.exists():
            problems += check_text(path.read_text(), str(path.relative_to(ROOT)), facts)
    return problems
