"""`manage.py seed_demo`: a first look with realistic configuration, safe to run twice, whose
people get random passwords kept in var/demo-logins.txt; and var/ itself kept private."""

import re
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Account, Team
from policies.models import AlertChannel, Calendar, Holiday, SlaPolicy, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback(monkeypatch):
    """`make run` on its default address unless a test says otherwise."""
    monkeypatch.delenv("HOST", raising=False)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def seed(django_capture_on_commit_callbacks):
    """Run seed_demo as `make run` does: its transaction commits, so the logins file is written."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo")

    return run


def logins(var_dir) -> dict[str, str]:
    from slaops.demo_logins import read_logins

    return read_logins(var_dir / "demo-logins.txt")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_seed_demo_is_idempotent(seed, var_dir, capsys):
    seed()
    counts = [m.objects.count() for m in (Calendar, Holiday, SlaPolicy, Tier, Account)]
    first = logins(var_dir)
    capsys.readouterr()
    seed()
    assert [m.objects.count() for m in (Calendar, Holiday, SlaPolicy, Tier, Account)] == counts
    assert logins(var_dir) == first
    out = capsys.readouterr().out
    assert "nothing changed" in out and "New passwords" not in out


def test_demo_has_calendars_with_holidays_tiers_and_policies():
    call_command("seed_demo")
    berlin = Calendar.objects.get(name="Berlin office")
    assert berlin.time_zone == "Europe/Berlin"
    assert berlin.holidays.filter(date__month=12, date__day=25).exists()
    assert (
        Calendar.objects.get(name="New York office")
        .holidays.filter(date__month=7, date__day=4)
        .exists()
    )
    assert list(Tier.objects.values_list("name", flat=True)) == ["Enterprise", "Standard", "Free"]
    assert Tier.objects.get(is_default=True).name == "Free"
    assert SlaPolicy.objects.filter(active=True).count() == 4
    assert Account.objects.filter(tier__isnull=True).exists()  # falls back to the default tier


def test_demo_manager_can_log_in_to_the_admin_with_the_password_in_the_file(seed, var_dir, client):
    seed()
    assert client.login(username="manager", password=logins(var_dir)["manager"])
    assert client.get(reverse("admin:policies_slapolicy_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_account_changelist")).status_code == 200


def test_demo_agent_exists_but_cannot_change_configuration(seed, var_dir, client):
    seed()
    assert client.login(username="agent", password=logins(var_dir)["agent"])
    response = client.get(reverse("admin:policies_slapolicy_changelist"))
    assert response.status_code == 302  # not staff: sent to the login page


def test_the_old_fixed_demo_passwords_do_not_work(seed, client):
    seed()
    assert not client.login(username="manager", password="slaops-manager")
    assert not client.login(username="agent", password="slaops-agent")


def test_demo_passwords_are_random_and_readable_by_the_owner_only(seed, var_dir):
    seed()
    first = logins(var_dir)
    assert set(first) == {"manager", "agent"}
    assert all(len(password) >= 20 for password in first.values())
    assert first["manager"] != first["agent"]
    assert mode(var_dir / "demo-logins.txt") == 0o600
    assert mode(var_dir) == 0o700


def test_deleting_the_logins_file_gives_new_passwords(seed, var_dir, client):
    seed()
    old = logins(var_dir)
    (var_dir / "demo-logins.txt").unlink()
    seed()
    new = logins(var_dir)
    assert new["manager"] != old["manager"]
    assert not client.login(username="manager", password=old["manager"])
    assert client.login(username="manager", password=new["manager"])


def test_an_install_from_before_loses_its_fixed_demo_passwords(seed, var_dir, client):
    User = get_user_model()
    User.objects.create_user("manager", password="slaops-manager", is_staff=True)
    User.objects.create_user("agent", password="slaops-agent")
    seed()
    assert not client.login(username="manager", password="slaops-manager")
    assert client.login(username="manager", password=logins(var_dir)["manager"])


def test_the_logins_file_never_names_a_password_that_no_longer_works(seed, var_dir, client):
    seed()
    agent = get_user_model().objects.get(username="agent")
    agent.set_password("changed-by-hand-8")
    agent.save()
    seed()
    assert client.login(username="agent", password=logins(var_dir)["agent"])


def test_demo_logins_prints_each_login(seed, var_dir, capsys):
    seed()
    capsys.readouterr()
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert f"manager / {logins(var_dir)['manager']}" in out
    assert f"agent / {logins(var_dir)['agent']}" in out


def test_demo_logins_says_how_to_make_them_when_there_are_none():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_logins")


def test_the_demo_agent_needs_no_staff_status_and_only_the_operator_is_superuser(seed):
    seed()
    User = get_user_model()
    assert not User.objects.get(username="agent").is_staff
    assert User.objects.get(username="manager").is_staff
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == [
        "operator"
    ]


def operator_password(out: str) -> str:
    found = re.search(r"^Operator login \(superuser[^)]*\): operator / (\S+)$", out, re.MULTILINE)
    assert found, out
    return found.group(1)


def test_the_demo_operator_password_is_printed_once_and_kept_nowhere(seed, var_dir, capsys, client):
    seed()
    out = capsys.readouterr().out
    password = operator_password(out)
    assert len(password) >= 20 and "Shown this once" in out
    assert client.login(username="operator", password=password)
    assert client.get(reverse("admin:integrations_integrationkey_changelist")).status_code == 200
    assert password not in (var_dir / "demo-logins.txt").read_text()
    seed()  # again, as every `make run` does: the password is neither printed nor changed
    call_command("demo_logins")
    again = capsys.readouterr().out
    assert password not in again and "New passwords" not in again
    assert "operator / (printed once when made; `manage.py changepassword operator`" in again
    assert client.login(username="operator", password=password)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "demo.example.com"])
def test_no_operator_is_made_when_the_demo_listens_on_the_network(seed, capsys, monkeypatch, host):
    monkeypatch.setenv("HOST", host)
    seed()
    out = capsys.readouterr().out
    assert not get_user_model().objects.filter(is_superuser=True).exists()
    assert f"No operator login: HOST={host}" in out and "manage.py createsuperuser" in out


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", ""])
def test_an_operator_is_made_on_loopback(seed, monkeypatch, host):
    monkeypatch.setenv("HOST", host)
    seed()
    assert get_user_model().objects.filter(username="operator", is_superuser=True).exists()


def test_a_fresh_demo_has_a_channel_whose_test_alert_is_sent(seed, var_dir, client, mailoutbox):
    seed()
    client.login(username="manager", password=logins(var_dir)["manager"])
    channel = AlertChannel.objects.get()
    response = client.post(
        reverse("admin:policies_alertchannel_test", args=[channel.pk]), follow=True
    )
    shown = " ".join(str(m) for m in response.context["messages"])
    assert "test alert sent" in shown and "failed" not in shown
    assert [m.to for m in mailoutbox] == [["oncall@slaops.example"]]
    index = client.get(reverse("admin:index")).content.decode()
    assert re.search(
        r'<li class="done" data-step="\d+">\s*<span><a href="[^"]*">Send a test alert', index
    )


def test_var_of_an_older_install_is_made_private(monkeypatch, tmp_path):
    from slaops import settings as slaops_settings

    var = tmp_path / "old-var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    for name in ["db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", "secret_key"]:
        (var / name).write_text("x")
        (var / name).chmod(0o644)
    monkeypatch.setattr(slaops_settings, "VAR_DIR", var)
    slaops_settings._private_var_dir()
    assert mode(var) == 0o700
    assert {mode(path) for path in var.iterdir()} == {0o600}


def test_a_new_var_and_secret_key_are_private_from_the_start(monkeypatch, tmp_path):
    from slaops import settings as slaops_settings

    var = tmp_path / "new-var"
    monkeypatch.setattr(slaops_settings, "VAR_DIR", var)
    assert len(slaops_settings._embedded_secret_key()) > 40
    assert mode(var) == 0o700
    assert mode(var / "secret_key") == 0o600


def test_demo_teams_hand_threads_on_and_one_missed_its_own_target():
    from policies.models.teams import TeamAlertRule, TeamTarget, TeamWarning
    from threads.models import SlaClock

    call_command("seed_demo")
    targets = {
        (t.team.name, t.metric): t.duration.total_seconds() / 60
        for t in TeamTarget.objects.select_related("team")
    }
    assert targets == {
        ("Frontline", "team_response"): 30,
        ("Frontline", "team_resolution"): 240,
        ("Tier 2", "team_response"): 120,
        ("Tier 2", "team_resolution"): 480,
    }
    assert TeamWarning.objects.filter(team__name="Frontline").exists()
    assert TeamAlertRule.objects.filter(team__name="Frontline", to_team=True).exists()
    assert SlaPolicy.objects.filter(targets__metric="periodic_update").exists()
    assert SlaPolicy.objects.filter(targets__metric="first_resolution").exists()
    handed = SlaClock.objects.filter(thread__subject="Payment webhook returns 502")
    resolution = handed.get(metric="resolution")
    holders = set(resolution.attribution["parts"]) | {resolution.attribution["holder"]}
    frontline, tier2 = (
        f"team:{t.pk}"
        for t in Team.objects.filter(name__in=["Frontline", "Tier 2"]).order_by("name")
    )
    assert {frontline, tier2} <= holders
    assert [c.team.name for c in handed.filter(metric="team_response").order_by("started_at")] == [
        "Frontline",
        "Tier 2",
        "Frontline",
    ]
    missed = SlaClock.objects.get(
        thread__subject="Refund not received after cancellation",
        metric="team_response",
        team__name="Frontline",
    )
    assert missed.state == "breached"
