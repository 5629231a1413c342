"""The configuration stands on its own: its models, services and selectors never reach into the
threads (the admin screens may, to link to them)."""

import ast
from pathlib import Path

import pytest

import policies

CORE = ["models.py", "services.py", "selectors.py", "business_time.py", "deadlines.py"]


@pytest.mark.parametrize("module", CORE)
def test_the_configuration_core_imports_nothing_from_threads_or_whatif(module):
    tree = ast.parse((Path(policies.__file__).parent / module).read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [name for name in imported if name and name.split(".")[0] in ("threads", "whatif")]
