"""Rules the database itself keeps, whatever door the data comes through."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from policies.models import Tier
from policies.services import tier_make_default
from tests.factories import tier

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_default_tier():
    tier("Free", default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tier.objects.create(name="Gold", is_default=True)


def test_model_validation_names_the_default_tier_rule():
    tier("Free", default=True)
    with pytest.raises(ValidationError, match="already the default"):
        Tier(name="Gold", is_default=True).full_clean()


def test_moving_the_default_keeps_exactly_one():
    tier("Free", default=True)
    gold = tier("Gold")
    tier_make_default(tier=gold)
    assert list(Tier.objects.filter(is_default=True)) == [gold]
