"""The Slack app's public functions for the rest of SLA Ops (replies go through the reply
channel registry: slackapp/replies.py)."""

from slackapp.probe import send_test_message

__all__ = ["send_test_message"]
