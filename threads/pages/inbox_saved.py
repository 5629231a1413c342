"""The inbox's views: the built-in ones (mine, my team's, unassigned, breaching) and those an
agent saved for themselves or shared with one of their teams.

A shared view is changed (saved over, deleted) only by its owner: a teammate who wants it
otherwise copies it to their own views and changes the copy."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import QueryDict

from threads.models import SavedView
from threads.selectors import team_ids

FILTER_KEYS = ("q", "scope", "status", "priority", "channel", "tier", "team", "state", "sort")


@dataclass(frozen=True)
class View:
    name: str
    query: str  # a normalised query string (see `normalise`)
    pk: int | None = None
    shared_with: str = ""  # a team's name when shared
    mine: bool = False  # its owner may change and delete it; others may copy it


BUILT_IN = [
    View("Mine", "scope=mine"),
    View("My team's", "scope=teams"),
    View("Unassigned", "scope=unassigned"),
    View("Breaching", "state=breaching"),
]


def normalise(query: QueryDict | str) -> str:
    """The filters of a query string in a fixed order, empty ones and the page left out, so the
    same view always reads the same (and the current one can be recognised)."""
    data = QueryDict(query) if isinstance(query, str) else query
    pairs = [(k, data.get(k, "").strip()) for k in FILTER_KEYS]
    return urlencode([(k, v) for k, v in pairs if v])


def views_for(user) -> list[View]:
    """Built-in views, then the person's own, then their teams' shared ones."""
    saved = (
        SavedView.objects.filter(Q(owner=user, team=None) | Q(team_id__in=team_ids(user)))
        .select_related("team")
        .order_by("team__name", "name", "pk")
    )
    own = [View(v.name, v.query, v.pk, "", True) for v in saved if v.team_id is None]
    shared = [
        View(v.name, v.query, v.pk, v.team.name, v.owner_id == user.pk)
        for v in saved
        if v.team_id is not None
    ]
    return [*BUILT_IN, *own, *shared]


def save_view(*, user, name: str, query: str, team_id: int | None) -> tuple[SavedView | None, str]:
    """Saves (or replaces, by name) a view; the error in words when it cannot."""
    if team_id is not None and team_id not in team_ids(user):
        return None, "You can share a view only with a team you are in."
    query = normalise(query)
    try:
        with transaction.atomic():
            if team_id is None:
                view, _ = SavedView.objects.update_or_create(
                    owner=user, team=None, name=name, defaults={"query": query}
                )
            else:
                view = _shared(user, name, query, team_id)
    except IntegrityError:
        return None, f"A view called “{name}” already exists."
    except NotYours:
        return None, (
            f"“{name}” is shared with the team by someone else, and only they can change it: "
            "give yours another name, or save theirs as your own view and change that."
        )
    return view, ""


class NotYours(Exception):
    """A view of this name is shared with the team by someone else."""


def _shared(user, name, query, team_id):
    view = SavedView.objects.select_for_update().filter(team_id=team_id, name=name).first()
    if view is None:
        return SavedView.objects.create(owner=user, team_id=team_id, name=name, query=query)
    if view.owner_id != user.pk:
        raise NotYours
    view.query = query
    view.save(update_fields=["query"])
    return view


def copy_view(*, user, pk: int) -> tuple[SavedView | None, str]:
    """Saves a view shared with one of the person's teams as their own (replacing their own view
    of the same name); the error in words when there is no such view."""
    shared = SavedView.objects.filter(pk=pk, team_id__in=team_ids(user)).first()
    if shared is None:
        return None, "No such view shared with your teams."
    return save_view(user=user, name=shared.name, query=shared.query, team_id=None)


def delete_view(*, user, pk: int) -> str:
    """The deleted view's name; "" when there is none this person may delete."""
    view = SavedView.objects.filter(pk=pk, owner=user).first()
    if view is None:
        return ""
    view.delete()
    return view.name
