"""Where the Slack app manifest lives and the host its URLs name until written for a server."""

from pathlib import Path

from django.conf import settings

MANIFEST = Path(settings.BASE_DIR) / "deploy" / "slack" / "manifest.yml"
PLACEHOLDER = "https://sla.example.com"
