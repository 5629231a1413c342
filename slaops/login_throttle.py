"""Password spraying is slowed per address: one address trying passwords on many usernames is
never stopped by the lockout (django-axes counts username and address together), so failed
logins are also counted per address (IPv6 per /64, slaops.client_address.client_group).

After LOGIN_THROTTLE_AFTER failures each further login attempt from that address must wait,
first LOGIN_THROTTLE_FIRST_DELAY_SECONDS, doubling with every failure, at most
LOGIN_THROTTLE_MAX_DELAY_SECONDS; an attempt during the wait is answered 429 with Retry-After
before any password is checked (a right password too, or spraying would go on). A slowdown
rather than a lockout, because an office behind one NAT shares the address; nothing resets the
count but LOGIN_THROTTLE_WINDOW_MINUTES without a failure, so one person signing in does not
clear the way for a sprayer next to them.

Known devices pass (OWASP's "device cookie"): a browser someone signed in from gets a signed
cookie naming them, and a login for that same username with that cookie is not slowed by the
address (django-axes still locks that username and address after its own count). So a sprayer
next to an office's NAT holds back only people signing in from a new browser.

Counts live in Django's default cache like the API rate limits: `add` then `incr` (atomic on
Redis), and the wait is taken with `add`, so of many attempts racing for the same slot one
passes.
"""

import logging
import math
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.shortcuts import render

from slaops.client_address import client_address, client_group

log = logging.getLogger(__name__)

LOGIN_VIEWS = frozenset({"login", "admin:login"})
DEVICE_COOKIE = "slaops_device"
DEVICE_SALT = "slaops.login-throttle.device"
DEVICE_DAYS = 180


def _keys(group: str) -> tuple[str, str]:
    return f"login-failures:{group}", f"login-wait:{group}"


def delay_after(failures: int) -> int:
    """Seconds the next attempt waits after `failures` failed logins (0 below the threshold)."""
    over = failures - settings.LOGIN_THROTTLE_AFTER
    if over < 0:
        return 0
    first = settings.LOGIN_THROTTLE_FIRST_DELAY_SECONDS
    return min(first * 2 ** min(over, 32), settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS)


def seconds_to_wait(request) -> int:
    """0 if this login attempt may go ahead (and, past the threshold, starts the next wait);
    otherwise the seconds left of the current wait."""
    count_key, wait_key = _keys(client_group(request))
    delay = delay_after(cache.get(count_key, 0))
    if delay <= 0:
        return 0
    now = time.time()
    if cache.add(wait_key, now + delay, timeout=delay):
        return 0
    until = cache.get(wait_key)
    return max(1, math.ceil(until - now)) if until is not None else 1


def count_failure(sender, request=None, **kwargs) -> None:
    """user_login_failed receiver: one more failure for the request's address."""
    if request is None:  # authenticate() called without a request: nobody to count
        return
    group = client_group(request)
    count_key, _ = _keys(group)
    window = settings.LOGIN_THROTTLE_WINDOW_MINUTES * 60
    cache.add(count_key, 0, timeout=window)
    try:
        failures = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        failures = 1
        cache.set(count_key, failures, timeout=window)
    cache.touch(count_key, window)  # forgotten a window after the last failure, not the first
    if failures == settings.LOGIN_THROTTLE_AFTER:
        log.warning(
            "Login throttle: %s failed logins from %s (%s); further attempts slowed",
            failures, client_address(request), group,
        )  # fmt: skip


def remember_device(sender, request=None, user=None, **kwargs) -> None:
    """user_logged_in receiver: the response gives this browser its device cookie."""
    if request is not None and user is not None:
        request.slaops_device_for = user.get_username()


def _device_username(request) -> str | None:
    try:
        return signing.loads(
            request.COOKIES.get(DEVICE_COOKIE, ""),
            salt=DEVICE_SALT,
            max_age=DEVICE_DAYS * 24 * 3600,
        )
    except signing.BadSignature:
        return None


def is_known_device(request) -> bool:
    known = _device_username(request)
    return known is not None and known.casefold() == request.POST.get("username", "").casefold()


class LoginThrottle:
    """Answers a throttled login attempt (a POST to the agents' or the admin's login) with 429,
    unless it comes from a known device for the same username."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        username = getattr(request, "slaops_device_for", None)
        if username is not None:
            response.set_cookie(
                DEVICE_COOKIE,
                signing.dumps(username, salt=DEVICE_SALT),
                max_age=DEVICE_DAYS * 24 * 3600,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in LOGIN_VIEWS:
            return None
        if is_known_device(request):
            return None
        wait = seconds_to_wait(request)
        if not wait:
            return None
        response = render(request, "registration/throttled.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
