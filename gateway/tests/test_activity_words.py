"""The activity stream's words for what changed: money as the pages write it, a repeat rule
as "changed" (not a Python dict)."""

from __future__ import annotations

# Imported for their forms, which name the fields they title.
import gateway_service.pages.assessments
import gateway_service.pages.portfolio  # noqa: F401
from gateway_service.pages.activity import _change


def test_money_is_written_as_the_pages_write_it() -> None:
    change = _change({"field": "budget_allocation", "old": "1000000.00", "new": "900000.00"}, {})
    assert (change.field, change.old, change.new) == (
        "Budget allocation",
        "\N{PESO SIGN}1,000,000.00",
        "\N{PESO SIGN}900,000.00",
    )


def test_a_repeat_rule_says_it_changed_not_its_insides() -> None:
    rule = {"freq": "weekly", "count": 6, "by_weekday": [3], "exdates": []}
    change = _change({"field": "recurrence", "old": rule, "new": {**rule, "count": 5}}, {})
    assert (change.old, change.new) == (None, "changed")
    assert "{" not in change.field


def test_a_field_is_named_as_its_form_titles_it() -> None:
    """ "MOA reference", not "Moa reference"; "Members", not "Member ids"."""
    named = {
        name: _change({"field": name, "old": None, "new": "x"}, {}).field
        for name in ("moa_reference", "member_ids", "sdgs", "urgency_level")
    }
    assert named == {
        "moa_reference": "MOA reference",
        "member_ids": "Members",
        "sdgs": "SDGs",
        "urgency_level": "Urgency",
    }


def test_a_ppas_funding_totals_are_money_too() -> None:
    """ "Disbursed: ₱0.00 → ₱1,575,000.00", not "0.00 → 1575000.00"."""
    change = _change({"field": "disbursed", "old": "0.00", "new": "1575000.00"}, {})
    assert (change.field, change.old, change.new) == (
        "Disbursed",
        "\N{PESO SIGN}0.00",
        "\N{PESO SIGN}1,575,000.00",
    )
