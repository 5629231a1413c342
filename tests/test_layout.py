"""The shape of the code (docs/rules.md, "Where things live"): the configuration and the people
stand on their own, and no module grows into several stuck together."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "integrations", "policies", "slaops", "threads", "whatif", "mail", "slackapp"]
# The channel apps: threads sends replies through the registry they fill
# (threads/replies/registry.py: REPLY_CHANNELS), never by importing one.
CHANNEL_APPS = ("mail", "slackapp")
# Models, services and selectors of these apps never reach into the threads or the what-if
# (their admin screens may, to call a thread service or link to a page).
CORE = {
    "accounts": ["models.py", "services.py", "selectors.py", "roles.py"],
    "policies": [
        "models",
        "services.py",
        "selectors.py",
        "business_time.py",
        "deadlines.py",
        "configuration.py",
        "alert_kinds.py",
    ],
}
LONGEST = 420  # "about 400 lines"


def _imports(path: Path) -> list[str]:
    return _imports_of(path.read_text())


def _core_modules():
    for app, names in CORE.items():
        for name in names:
            path = ROOT / app / name
            yield from sorted(path.glob("*.py")) if path.is_dir() else [path]


@pytest.mark.parametrize("path", list(_core_modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_configuration_and_people_core_import_nothing_from_threads_or_whatif(path):
    reached = [n for n in _imports(path) if n.split(".")[0] in ("threads", "whatif")]
    assert not reached


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
