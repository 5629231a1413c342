"""Run Socket Mode (slackapp/socket_mode.py): Slack's events, button clicks and /sla over a
WebSocket this process opens, for an install without a public URL. Runs until stopped (Ctrl-C,
SIGTERM); slack_sdk's client reconnects by itself when Slack closes the connection."""

import re
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from slack_sdk.errors import SlackApiError

from slackapp import socket_mode
from slackapp.models import SlackApp
from slaops import outbound

APP_TOKEN = re.compile(r"xapp-[0-9A-Za-z-]{10,250}")


class Command(BaseCommand):
    help = "Receive Slack's events, clicks and slash commands over Socket Mode (SLACK_APP_TOKEN)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seconds",
            type=float,
            default=None,
            help="Stop after this many seconds (default: run until stopped).",
        )

    def handle(self, *args, seconds=None, **options):
        token = settings.SLACK_APP_TOKEN
        if not token:
            raise CommandError(
                "SLACK_APP_TOKEN is not set: an app-level token (xapp-…) with the "
                "connections:write scope (Slack app settings → Basic Information → App-Level "
                "Tokens)."
            )
        if not APP_TOKEN.fullmatch(token):
            raise CommandError("SLACK_APP_TOKEN is not an app-level token (xapp-…).")
        if seconds is not None and seconds <= 0:
            raise CommandError("--seconds: a positive number of seconds.")
        if not SlackApp.objects.filter(enabled=True).exists():
            raise CommandError("No enabled Slack app (admin → Slack → Slack apps).")
        stop = threading.Event()
        try:
            client = socket_mode.client(token)
        except outbound.DestinationNotAllowed as error:
            raise CommandError(f"SLACK_API_URL: {error}") from None
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        try:
            client.connect()
        except (SlackApiError, outbound.DestinationNotAllowed, outbound.Unreachable) as error:
            client.close()
            raise CommandError(f"Socket Mode did not connect: {_said(error)}") from None
        self.stdout.write("Socket Mode connected; waiting for Slack (Ctrl-C stops).")
        try:
            stop.wait(seconds)
        finally:
            client.close()
        self.stdout.write("Socket Mode stopped.")


def _said(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "Slack refused the token")
    return str(error)
