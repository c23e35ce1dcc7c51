"""A page of a list response, built from the records of one query."""

from __future__ import annotations

from dataclasses import dataclass

from obcms_platform.pagination import Page, PageParams
from obcms_platform.schemas import ResponseModel


@dataclass
class NoteRow:
    title: str
    body: str


class NoteRead(ResponseModel):
    title: str


def test_a_page_reads_its_items_from_records_and_carries_the_window() -> None:
    page = Page[NoteRead].of(
        [NoteRow("a", "x"), NoteRow("b", "y")], total=7, params=PageParams(limit=2, offset=4)
    )
    assert page.model_dump() == {
        "items": [{"title": "a"}, {"title": "b"}],
        "total": 7,
        "limit": 2,
        "offset": 4,
    }


def test_a_page_keeps_items_already_read() -> None:
    page = Page[NoteRead].of([NoteRead(title="a")], total=1, params=PageParams(limit=50, offset=0))
    assert page.items == [NoteRead(title="a")]
