"""Who may see which threads: the team scoping the agents' pages and the API share."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import AgentProfile, Team
from threads.models import Message, Thread


def team_ids(user) -> list[int]:
    """The person's teams, read once per request: as literal ids PostgreSQL probes each thread's
    team, where an IN (subquery) made it hash every thread of those teams first."""
    if not hasattr(user, "_queue_team_ids"):
        user._queue_team_ids = list(Team.objects.filter(members=user).values_list("pk", flat=True))
    return user._queue_team_ids


def only_my_teams(user) -> bool:
    """Whether the person is limited to their teams' threads (read once per request)."""
    if not getattr(user, "pk", None):
        return False
    if not hasattr(user, "_only_my_teams"):
        user._only_my_teams = AgentProfile.objects.filter(
            user_id=user.pk, only_my_teams=True
        ).exists()
    return user._only_my_teams


def visible_limit(user, prefix: str = "") -> Q | None:
    """What a team-limited person may see: their teams' threads and threads assigned to them (a
    thread without a team only when it is theirs). None = no limit."""
    if not only_my_teams(user):
        return None
    return Q(**{f"{prefix}team_id__in": team_ids(user)}) | Q(**{f"{prefix}assignee_id": user.pk})


def visible_threads(threads: QuerySet, *, user) -> QuerySet:
    """The threads among `threads` this person may see and work, on the pages and the API."""
    limit = visible_limit(user)
    return threads if limit is None else threads.filter(limit)


def visible_accounts(accounts: QuerySet, *, user) -> QuerySet:
    """The accounts a person may read: all, or for a team-limited person the accounts of the
    threads they may see."""
    limit = visible_limit(user)
    if limit is None:
        return accounts
    threads = Thread.objects.filter(limit)
    return accounts.filter(Exists(threads.filter(account=OuterRef("pk"))))


def visible_contacts(contacts: QuerySet, *, user) -> QuerySet:
    """The contacts a person may read: all, or for a team-limited person those who opened or
    wrote on a thread they may see."""
    limit = visible_limit(user)
    if limit is None:
        return contacts
    threads = Thread.objects.filter(limit)
    return contacts.filter(
        Exists(threads.filter(contact=OuterRef("pk")))
        | Exists(Message.objects.filter(contact=OuterRef("pk"), thread__in=threads))
    )
