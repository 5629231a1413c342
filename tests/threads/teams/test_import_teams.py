"""History imported for a team with its own targets starts that team's clocks, as live traffic
does (the import's cached book answers team targets like the others)."""

import json

import pytest
from django.core.management import call_command

from tests.threads.teams.stories import START, around_the_clock, at, clocks, team
from threads.models import Thread

pytestmark = [pytest.mark.django_db]


def test_an_imported_thread_handed_to_a_team_gets_the_teams_clocks(tmp_path, agent):
    around_the_clock()
    team("Frontline", members=[agent])
    line = {
        "source": "helpdesk",
        "external_id": "T-1",
        "subject": "Export fails",
        "contact_email": "anna@example.com",
        "team": "Frontline",
        "created_at": START.isoformat(),
        "events": [{"type": "customer_message", "at": START.isoformat(), "body": "Help"}],
    }
    path = tmp_path / "threads.jsonl"
    path.write_text(json.dumps(line) + "\n")
    with at(60):
        call_command("import_threads", str(path))
    thread = Thread.objects.get(external_id="T-1")
    assert [c.team.name for c in clocks(thread, "team_response")] == ["Frontline"]
    assert clocks(thread, "team_resolution")[0].is_running
