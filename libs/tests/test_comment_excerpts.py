"""A comment's excerpt (what a mention's notification quotes): plain text, cut at the end of a
word, never inside one ("…item A item B itali")."""

from __future__ import annotations

from obcms_platform.comments.markdown import excerpt


def test_a_long_comment_is_cut_at_the_end_of_a_word() -> None:
    text = "Please check **item A** and item B before the italian consultants arrive"
    cut = excerpt(text, length=48)  # the 48th character falls inside "italian"
    assert cut == "Please check item A and item B before the\N{HORIZONTAL ELLIPSIS}"
    assert len(cut) <= 48


def test_a_short_comment_is_whole_and_one_word_too_long_is_cut_inside() -> None:
    assert excerpt("Seen, *thanks*", length=50) == "Seen, thanks"
    assert excerpt("x" * 80, length=20) == "x" * 19 + "\N{HORIZONTAL ELLIPSIS}"
