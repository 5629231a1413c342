"""Integration API keys: hashed at rest (djangorestframework-api-key), each scoped to one thread
`source`, so a Zendesk bridge creates and changes only Zendesk's threads."""

import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from rest_framework_api_key.crypto import KeyGenerator
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from threads.models import Thread

KEY_MARK = "slaops_"
# The source of threads people open through the API: a key for it could change them all.
RESERVED_SOURCES = {"api"}
# last_used_at is written at most this often per key: a write per request would cost more than
# the request itself on a busy bridge, and "used in the last few minutes" is what an operator
# needs to know before revoking.
LAST_USED_PRECISION = timedelta(minutes=5)


class MarkedKeyGenerator(KeyGenerator):
    """Keys read `slaops_<8 letters or digits>.<32 letters or digits>`: the mark lets people
    and secret scanners recognise a leaked key; the part before the dot is its public prefix
    (shown in the admin); the whole key is kept only as a SHA-512 hash (a random 190-bit secret
    needs no slow hash)."""

    def get_prefix(self) -> str:
        return KEY_MARK + get_random_string(self.prefix_length)


# Each process keeps the keys it read for this long (by public prefix), so a busy bridge's key is
# read once every few seconds instead of once a request. The library's hash check still runs on
# every request against the kept row; a key revoked or given an expiry in this process is
# dropped at once (save, delete, bulk update); one revoked by another process stops working
# here within this many seconds.
KEY_CACHE_SECONDS = 5.0
_KEY_CACHE_SIZE = 1000  # distinct keys kept per process, a bound against unbounded growth
_recent: dict[str, tuple[float, "IntegrationKey"]] = {}


def forget_keys() -> None:
    """Drop every key this process keeps: the next request reads its key again. Again when the
    write commits, so a request that read the old row meanwhile does not keep it."""
    _recent.clear()
    if connection.in_atomic_block:
        transaction.on_commit(_recent.clear)


class IntegrationKeyQuerySet(models.QuerySet):
    """Bulk writes drop the process's kept keys too, so no `.update(revoked=True)` is missed."""

    def update(self, **kwargs):
        if set(kwargs) - {"last_used_at"}:  # recording use changes nothing a request checks
            forget_keys()
        return super().update(**kwargs)

    def delete(self):
        forget_keys()
        return super().delete()

    update.alters_data = True
    delete.alters_data = True
    delete.queryset_only = True


class IntegrationKeyManager(BaseAPIKeyManager.from_queryset(IntegrationKeyQuerySet)):
    key_generator = MarkedKeyGenerator(prefix_length=8, secret_key_length=32)

    def get_from_recent_key(self, key: str) -> "IntegrationKey":
        """The usable key `key` is, as `get_from_key` finds it, read from the database at most
        once per KEY_CACHE_SECONDS per process. The hash check runs on every call, so a wrong
        secret with a kept key's prefix is refused like any other."""
        prefix = key.partition(".")[0]
        now = time.monotonic()
        kept = _recent.get(prefix)
        if kept is None or now - kept[0] >= KEY_CACHE_SECONDS:
            _recent.pop(prefix, None)
            api_key = self.get_usable_keys().get(prefix=prefix)  # unknown: never kept
            if len(_recent) >= _KEY_CACHE_SIZE:
                _recent.clear()
            kept = _recent[prefix] = (now, api_key)
        if not kept[1].is_valid(key):
            raise self.model.DoesNotExist("Key is not valid.")
        return kept[1]


class IntegrationKey(AbstractAPIKey):
    # The library's columns are sized for its unmarked 8-character prefix.
    id = models.CharField(max_length=200, unique=True, primary_key=True, editable=False)
    prefix = models.CharField(max_length=20, unique=True, editable=False)
    source = models.CharField(
        max_length=Thread._meta.get_field("source").max_length,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9_.-]*$",
                "Lower-case letters, digits, “.”, “_” and “-”, e.g. zendesk.",
            )
        ],
        help_text="The thread source this key creates and changes (e.g. zendesk): it sees only "
        "threads of this source, and may give past times for their events.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    last_used_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=f"To within {int(LAST_USED_PRECISION.total_seconds() // 60)} minutes.",
    )

    objects = IntegrationKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "integration API key"
        verbose_name_plural = "integration API keys"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, source {self.source})"

    def label(self) -> str:
        """How the history names what this key did: its name and public prefix (the part the
        admin shows, enough to find the key to revoke), never its secret."""
        return f"{self.name} ({self.prefix}…)"

    def clean(self) -> None:
        super().clean()
        if self.source in RESERVED_SOURCES:
            raise ValidationError(
                {"source": f"“{self.source}” is the source of threads people open; pick another."}
            )

    def save(self, *args, **kwargs):
        forget_keys()  # a revocation or a new expiry applies to this process's next request
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        forget_keys()
        return super().delete(*args, **kwargs)

    def touch(self, now=None) -> None:
        """Record use, at most once per LAST_USED_PRECISION (a compare-and-set, so concurrent
        requests write once)."""
        now = now or timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_PRECISION:
            return
        stale = models.Q(last_used_at__isnull=True) | models.Q(
            last_used_at__lt=now - LAST_USED_PRECISION
        )
        type(self).objects.filter(stale, pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
