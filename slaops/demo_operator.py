"""The demo's operator (a superuser, made only on loopback, its password printed once and kept
nowhere) and its alert channel (e-mail to the console, so a test alert works on a fresh clone)."""

import ipaddress

from django.contrib.auth import get_user_model

from accounts.models import AgentProfile
from slaops.demo_logins import new_password

# The demo's operator: a superuser for API keys, the Slack app and mailbox passwords. Made only
# on a demo that listens on loopback; its random password is printed once, when it is made, and
# written nowhere (`manage.py changepassword operator` sets a new one). Production makes its
# own with `manage.py createsuperuser`.
OPERATOR = "operator"
OPERATOR_LABEL = "Operator login (superuser)"
# The demo's alert channel: e-mail through EMAIL_URL, which is the console (the terminal of
# `make run`) unless set, so "Send a test alert" works on a fresh clone without lifting the
# outbound gate's private-address guard.
DEMO_CHANNEL = "Demo alerts (e-mail, shown in the terminal)"
DEMO_CHANNEL_ADDRESS = "oncall@slaops.example"


def host_is_loopback(host: str) -> bool:
    """Whether the address the demo listens on (HOST) is this machine only, as `make run` says."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_operator(report, *, host: str) -> None:
    User = get_user_model()
    if User.objects.filter(username=OPERATOR).exists():
        return  # its password was shown when it was made; never changed here
    if not host_is_loopback(host):
        report.operator_skipped = (
            f"No operator login: HOST={host} listens on the network. Make a superuser with "
            "`manage.py createsuperuser`."
        )
        return
    password = new_password()
    user = User.objects.create_superuser(
        OPERATOR, email=f"{OPERATOR}@example.com", password=password, first_name="Olga"
    )
    AgentProfile.objects.get_or_create(user=user, defaults={"time_zone": "Europe/Berlin"})
    report.created.append(f"user {OPERATOR} (superuser)")
    report.operator_password = password


def demo_channel(report) -> None:
    from policies.models import AlertChannel

    if not AlertChannel.objects.exists():
        AlertChannel.objects.create(
            name=DEMO_CHANNEL, kind=AlertChannel.Kind.EMAIL, addresses=DEMO_CHANNEL_ADDRESS
        )
        report.created.append(f"alert channel “{DEMO_CHANNEL}”")
