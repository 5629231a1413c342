"""The shape of the code (docs/rules.md, "Where things live"): the configuration and the people
stand on their own, no module needs itself back through another to load, product code is never
named like a test, and no module grows into several stuck together."""

import ast
import os
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Every top-level package of the project (the Django apps, slaops, bench); tests/ aside.
APPS = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests")
# The channel apps: threads sends replies through the registry they fill
# (threads/replies/registry.py: REPLY_CHANNELS), never by importing one.
CHANNEL_APPS = ("mail", "slackapp")
# The configuration (policies) and the people (accounts) stand below every feature: outside their
# admin screens (which may call a thread service or link to a page) they import none of these.
BASE_APPS = ("accounts", "policies")
FEATURE_APPS = ("threads", "whatif", "objectives", "mail", "slackapp", "integrations")
LONGEST = 420  # "about 400 lines"


def _imports(path: Path) -> list[str]:
    return _imports_of(path.read_text())


def _is_admin(path: Path) -> bool:
    return "admin" in path.parts or path.stem == "admin" or path.stem.endswith("_admin")


def _base_reaches(path: Path) -> list[str]:
    return [n for n in _imports(path) if n.split(".")[0] in FEATURE_APPS]


def test_the_configuration_and_people_import_no_feature_outside_their_admin_screens():
    reached = {
        str(path.relative_to(ROOT)): found
        for app in BASE_APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        and not _is_admin(path.relative_to(ROOT / app))
        and (found := _base_reaches(path))
    }
    assert not reached, "move what they need down into policies/accounts, or into an admin module"


def test_the_base_rule_looks_at_every_module_but_the_admin_screens():
    assert BASE_APPS[0] in APPS and set(FEATURE_APPS) <= set(APPS)
    assert _is_admin(Path("admin/policies.py")) and _is_admin(Path("admin.py"))
    assert not _is_admin(Path("calendar_forms.py"))


def _channel_imports(source: str) -> list[str]:
    return [n for n in _imports_of(source) if n.split(".")[0] in CHANNEL_APPS]


def _imports_of(source: str) -> list[str]:
    tree = ast.parse(source)
    return [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if (node.module if isinstance(node, ast.ImportFrom) else alias.name)
    ]


def test_threads_imports_no_channel_app():
    reached = {
        str(path.relative_to(ROOT)): found
        for path in (ROOT / "threads").rglob("*.py")
        if "migrations" not in path.parts and (found := _channel_imports(path.read_text()))
    }
    assert not reached, "threads reaches a channel app; register it in REPLY_CHANNELS"


@pytest.mark.parametrize(
    "source",
    [
        "from mail import services",
        "import slackapp.outbox",
        "def send():\n    from slackapp.models import SlackPost\n",
    ],
)
def test_the_channel_rule_catches_every_way_of_importing(source):
    assert _channel_imports(source)


def test_accounts_do_not_import_policies_the_other_way_round_is_allowed():
    reached = {
        str(path.relative_to(ROOT)): name
        for path in (ROOT / "accounts").rglob("*.py")
        if "migrations" not in path.parts and "admin" not in path.name
        for name in _imports(path)
        if name.split(".")[0] == "policies"
    }
    assert not reached


def test_no_module_outside_migrations_is_longer_than_about_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and (n := len(path.read_text().splitlines())) > LONGEST
    }
    assert not long


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _loaded_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports run when the module loads: its own statements, including those under a
    module-level if/try/with, never those inside a function or class body."""
    found, body = [], list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            body += [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            body += [n for handler in getattr(node, "handlers", []) for n in handler.body]
    return found


def _edges(name: str, is_package: bool, source: str, modules: set[str]) -> set[str]:
    """The project modules `name` imports as it loads (`from a import b` is a.b when b is a
    module); modules outside the project are left out."""
    named = []
    for node in _loaded_imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            named += [alias.name for alias in node.names]
            continue
        base = node.module or ""
        if node.level:
            package = name.split(".") if is_package else name.split(".")[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        named += [f"{base}.{alias.name}" for alias in node.names]
    edges = set()
    for target in named:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            edges.add(target)
    return edges


def _import_graph(sources: dict[str, tuple[bool, str]]) -> dict[str, set[str]]:
    modules = set(sources)
    return {
        name: _edges(name, is_package, source, modules)
        for name, (is_package, source) in sources.items()
    }


def _project_sources() -> dict[str, tuple[bool, str]]:
    return {
        _module_name(path): (path.name == "__init__.py", path.read_text())
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return error.args[1]
    return []


def test_no_module_imports_itself_back_through_others_as_it_loads():
    cycle = _cycle(_import_graph(_project_sources()))
    assert not cycle, " -> ".join(reversed(cycle))


@pytest.mark.parametrize(
    ("sources", "cyclic"),
    [
        ({"a.x": "from a import y", "a.y": "from a.x import f"}, True),
        ({"a.x": "from . import y", "a.y": "from .x import f"}, True),
        (
            {"a.x": "import a.y", "a.y": "if True:\n    import a.z", "a.z": "from a.x import f"},
            True,
        ),
        ({"a.x": "from a import y", "a.y": "def f():\n    from a.x import g"}, False),
        ({"a.x": "from a.y import f", "a.y": "from django import forms"}, False),
    ],
)
def test_the_cycle_rule_sees_loading_imports_and_leaves_function_imports(sources, cyclic):
    graph = _import_graph({name: (False, source) for name, source in sources.items()})
    assert bool(_cycle(graph)) is cyclic


def _named_like_tests(paths) -> list[str]:
    return [
        str(path)
        for path in paths
        if path.parts[0] != "tests"
        and (path.name.startswith("test_") or path.stem.endswith("_test"))
    ]


def _python_files():
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d != "node_modules"]
        for file in files:
            if file.endswith(".py"):
                yield (Path(folder) / file).relative_to(ROOT)


def test_product_modules_are_never_named_like_tests():
    """pytest collects test_*.py and *_test.py: outside tests/ such a name reads as a test."""
    assert not _named_like_tests(_python_files())


def test_the_test_name_rule_catches_both_spellings_and_spares_tests():
    found = _named_like_tests(
        [Path("slackapp/test_message.py"), Path("slaops/settings_test.py"), Path("tests/test_x.py")]
    )
    assert found == ["slackapp/test_message.py", "slaops/settings_test.py"]
