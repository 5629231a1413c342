"""Each selected thread's recorded actions (messages, status and attribute changes, "no reply
needed") told again to the clock rules in memory, and what a what-if reads of the outcome."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from threads.clocks.actions import Opened, TimePassed
from threads.clocks.history import History, load_histories
from threads.clocks.rules import Clockwork
from threads.models import EventKind, SlaClock, SlaEvent
from whatif.book import ReplayBook

__all__ = ["History", "Replay", "load_histories", "outcomes", "recorded_outcomes", "replay"]


@dataclass
class Replay(Clockwork):
    """The clock rules as they are, keeping only what a what-if reads of the events they record:
    which policies matched the thread, which governed each clock, which warnings fired. A replay
    writes nothing, so it needs no event rows (building them was a third of its time)."""

    matched: set = field(default_factory=set)
    governed: dict = field(default_factory=dict)  # id(clock) -> ids of the policies it ran under
    warned: list = field(default_factory=list)

    def record(self, kind, at, clock=None, **details) -> None:
        if kind in (EventKind.STARTED, EventKind.RETARGETED):
            self.governed.setdefault(id(clock), set()).add(clock.policy_id)
        elif kind == EventKind.WARNING:
            self.warned.append(clock)
        elif kind == EventKind.POLICY_MATCHED:
            self.matched.add(details["policy_id"])


def replay(history: History, book: ReplayBook, now: datetime) -> Replay:
    """Tell the thread's history to the clock rules again, in memory, and catch up to `now`."""
    book = book.of_account(*history.account())
    work = Replay(thread=history.thread(), clocks=[], book=book, historical=True)
    work.apply(Opened(history.created_at))
    for *_, action in history.actions:
        work.apply(action)
    work.apply(TimePassed(now))
    return work


def outcomes(work: Replay, subjects: set[int]) -> tuple[dict, Counter]:
    """Per metric, the final states of the clocks a subject policy governed at some time (started
    under it, or retargeted to or from it), in start order; and their warnings."""

    def counted(clock) -> bool:
        return not subjects.isdisjoint(work.governed.get(id(clock), ()))

    states: dict[str, list[str]] = {}
    for clock in work.clocks:
        if counted(clock):
            states.setdefault(clock.metric, []).append(str(clock.state))
    return states, Counter(clock.metric for clock in work.warned if counted(clock))


def recorded_outcomes(thread_ids: list[int], subjects: set[int], names: set[str]) -> dict:
    """The same for the stored clocks (two queries): thread -> metric -> states. Their events
    name the policy, so a clock that moved away from a subject policy is found by its name."""
    governed = set()
    for clock_id, kind, details in SlaEvent.objects.filter(
        thread_id__in=thread_ids, kind__in=[EventKind.STARTED, EventKind.RETARGETED]
    ).values_list("clock_id", "kind", "details"):
        sides = [details] if kind == EventKind.STARTED else [details.get("old"), details.get("new")]
        if any((side or {}).get("policy") in names for side in sides):
            governed.add(clock_id)
    recorded: dict[int, dict[str, list[str]]] = {}
    for pk, thread_id, metric, state, policy_id in (
        SlaClock.objects.filter(thread_id__in=thread_ids)
        .order_by("thread_id", "started_at", "pk")
        .values_list("pk", "thread_id", "metric", "state", "policy_id")
    ):
        if policy_id in subjects or pk in governed:
            recorded.setdefault(thread_id, {}).setdefault(metric, []).append(state)
    return recorded
