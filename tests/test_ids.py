"""Ids read from outside are ASCII digits within a bigint: "²" (a digit to isdigit(), refused by
int()) and "٣" (read as 3 by int()) name no object."""

import pytest

from slaops.ids import MAX_ID, parse_id


@pytest.mark.parametrize("text, pk", [("1", 1), ("0042", 42), (str(MAX_ID), MAX_ID), (7, 7)])
def test_ascii_digits_are_an_id(text, pk):
    assert parse_id(text) == pk


@pytest.mark.parametrize(
    "text",
    ["²", "٣", "１", " 1", "1 ", "1\n", "+1", "-1", "1_000", "1.0", "0", "", str(MAX_ID + 1),
     "9" * 400, None, True, 1.0, ["1"], MAX_ID + 1, -1],
)  # fmt: skip
def test_anything_else_is_no_id(text):
    assert parse_id(text) is None


def test_zero_is_a_number_where_allowed():
    assert parse_id("0", allow_zero=True) == 0
    assert parse_id("²", allow_zero=True) is None
