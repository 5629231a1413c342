"""The Slack app's public functions for the rest of SLA Ops."""

from slackapp.outbox import reply_post
from slackapp.test_message import send_test_message

__all__ = ["reply_post", "send_test_message"]
