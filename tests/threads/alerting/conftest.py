"""The delivery stories share test_delivery's real local servers and breach helpers."""

from tests.threads.test_delivery import mail, no_proxies, web  # noqa: F401
