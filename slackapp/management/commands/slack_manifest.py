"""Print the Slack app manifest (deploy/slack/manifest.yml) with this server's SITE_URL in its
URLs, to paste into api.slack.com/apps → Create New App → From an app manifest."""

from django.conf import settings
from django.core.management.base import BaseCommand

from slackapp.manifest import MANIFEST, PLACEHOLDER


class Command(BaseCommand):
    help = "Print the Slack app manifest with this server's SITE_URL."

    def handle(self, *args, **options):
        text = MANIFEST.read_text(encoding="utf-8")
        self.stdout.write(text.replace(PLACEHOLDER, settings.SITE_URL))
