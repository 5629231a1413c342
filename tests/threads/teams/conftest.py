"""The two teams the team-clock stories hand threads between."""

import pytest

from tests.threads.teams.stories import team


@pytest.fixture
def frontline(agent):
    return team("Frontline", members=[agent])


@pytest.fixture
def tier2(other_agent):
    return team("Tier 2", response=60, resolution=240, members=[other_agent])
