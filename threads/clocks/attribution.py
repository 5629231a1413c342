"""Who held a clock's time (docs/rules.md, "Who held the time"): the business time a clock used,
split by holder, summing to its used time to the microsecond.

While a clock runs, its time goes to the thread's status when that is not open
("status:waiting_on_customer"), else to the team holding the thread ("team:<id>") or to
"no_team". Paused time is no time, so a pausing status never appears. Kept on the clock as
`attribution`: `parts` (holder -> microseconds, for the time before `running_since`), `holder`
(of the stretch running since then) and, until the clock first pauses, `marks` (where each
stretch began), so that a clock measured again from its start in another calendar splits anew.
"""

from datetime import datetime, timedelta

from policies.vocabulary import ThreadStatus

NO_TEAM = "no_team"
TEAM, STATUS = "team:", "status:"


def holder_of(thread) -> str:
    if thread.status != ThreadStatus.OPEN:
        return f"{STATUS}{thread.status}"
    return f"{TEAM}{thread.team_id}" if thread.team_id is not None else NO_TEAM


def micros(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


def begin(clock, at: datetime, holder: str) -> None:
    """A new clock: nothing used yet, its first stretch held by `holder`."""
    clock.attribution = {"parts": {}, "holder": holder, "marks": [[at.isoformat(), holder]]}


def add(clock, used: timedelta) -> None:
    """The clock's used time becomes `used`: what it gained goes to the running stretch's
    holder."""
    gained = micros(used) - micros(clock.used)
    if gained:
        parts = clock.attribution.setdefault("parts", {})
        holder = clock.attribution.get("holder") or NO_TEAM
        parts[holder] = parts.get(holder, 0) + gained
    clock.used = used


def hand_over(clock, at: datetime, holder: str) -> None:
    """A new stretch begins at `at` (the clock's used time is brought up to `at` first)."""
    data = clock.attribution
    if data.get("holder") == holder:
        return
    data["holder"] = holder
    if "marks" in data:
        data["marks"].append([at.isoformat(), holder])


def forget_marks(clock) -> None:
    """A clock that paused is never measured again from its start: its marks are not needed."""
    clock.attribution.pop("marks", None)


def remeasure(clock, at: datetime, engine) -> None:
    """A never-paused clock measured again from its start in `engine`'s calendar (a new
    calendar on retarget): each stretch is measured again, so the parts still sum to it."""
    marks = clock.attribution.get("marks")
    if not marks:
        return
    parts: dict[str, int] = {}
    starts = [datetime.fromisoformat(start) for start, _ in marks]
    for (start, holder), end in zip(marks, [*starts[1:], at], strict=True):
        begun = datetime.fromisoformat(start)
        if end > begun:
            parts[holder] = parts.get(holder, 0) + micros(engine.between(begun, end))
    clock.attribution["parts"] = {h: m for h, m in parts.items() if m}


def parts_at(clock, used: timedelta) -> dict[str, int]:
    """Microseconds per holder when the clock has used `used` (its running stretch included)."""
    parts = dict((clock.attribution or {}).get("parts") or {})
    gained = micros(used) - micros(clock.used)
    if gained > 0:
        holder = (clock.attribution or {}).get("holder") or NO_TEAM
        parts[holder] = parts.get(holder, 0) + gained
    return {h: m for h, m in parts.items() if m}


def whole_seconds(parts: dict[str, int]) -> dict[str, int]:
    """Parts in whole seconds summing to the floor of their total: each floored, the seconds
    left over given to the parts with the largest remainders (ties by holder)."""
    total = sum(parts.values()) // 1_000_000
    floored = {h: m // 1_000_000 for h, m in parts.items()}
    left = total - sum(floored.values())
    by_remainder = sorted(parts, key=lambda h: (-(parts[h] % 1_000_000), h))
    for holder in by_remainder[:left]:
        floored[holder] += 1
    return {h: s for h, s in floored.items() if s}


def shares(clock, used: timedelta, fallback: str = NO_TEAM) -> list[tuple[str, int]]:
    """(holder, whole seconds) of a clock that has used `used`, largest first, summing to
    `used` in whole seconds. Time no stretch accounts for (a clock older than attribution) goes
    to `fallback`, the thread's holder now."""
    parts = parts_at(clock, used)
    missing = micros(used) - sum(parts.values())
    if missing > 0:
        parts[fallback] = parts.get(fallback, 0) + missing
    return sorted(whole_seconds(parts).items(), key=lambda item: (-item[1], item[0]))


def team_id_of(holder: str) -> int | None:
    """The team's id of a "team:<id>" holder (None for the others)."""
    return int(holder.removeprefix(TEAM)) if holder.startswith(TEAM) else None
