import pytest

from tests.factories import policy, tier


@pytest.fixture
def around_the_clock(db):
    """First response within 1 hour, around the clock (no calendar: 24/7, UTC)."""
    return policy(
        "Standard", tiers=[tier("Free", default=True)], targets=[("first_response", "", 60)]
    )
