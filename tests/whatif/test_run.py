"""What-if runs: in steps, with constant queries, stale when the configuration changes."""

from datetime import timedelta

import pytest

from policies.models import SlaTarget
from tests.whatif.helpers import NOW, SINCE, UNTIL, answered, at, berlin, frt_target, row, run
from whatif.draft import Draft
from whatif.run import WhatIfRun

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_the_queries_of_a_run_do_not_grow_with_its_threads(standard, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            run(Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=2)}))
        return len(captured)

    answered(berlin(24, 10), 90, agent, "One")
    run(Draft(policy_id=standard.pk))  # warm the per-process configuration caches
    few = queries()
    for minutes in range(20, 200, 20):
        answered(berlin(25, 10), minutes, agent, f"After {minutes}m")
    assert queries() == few


def test_a_run_advances_in_steps_and_keeps_its_place(standard, four_threads, monkeypatch):
    monkeypatch.setattr("whatif.run.CHUNK", 1)
    draft = Draft(policy_id=standard.pk, targets={frt_target(standard).pk: timedelta(hours=2)})
    with at(NOW):
        started = WhatIfRun.start(draft=draft, since=SINCE, until=UNTIL)
        started.advance(seconds=0)
        assert (started.done, started.total, started.finished) == (1, 4, False)
        state = WhatIfRun.from_json(started.to_json())
        while not state.finished:
            state.advance(seconds=0)
    assert row(state).draft.achieved == 3 and state.changed == 1


def test_a_run_goes_stale_when_the_configuration_is_saved_meanwhile(standard, four_threads):
    with at(NOW):
        started = WhatIfRun.start(draft=Draft(policy_id=standard.pk), since=SINCE, until=UNTIL)
        SlaTarget.objects.filter(policy=standard).update(duration=timedelta(hours=3))
        started.advance()
    assert started.stale and started.finished


def test_a_run_kept_by_a_release_before_the_configuration_version_reads_as_stale(
    standard, four_threads
):
    with at(NOW):
        kept = WhatIfRun.start(draft=Draft(policy_id=standard.pk), since=SINCE, until=UNTIL)
        state = kept.to_json()
        del state["version"]
        state["fingerprint"] = ["3", "2026-11-30 08:00:00"]
        resumed = WhatIfRun.from_json(state)
        resumed.advance()
    assert resumed.stale and resumed.finished
