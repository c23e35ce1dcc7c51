"""The needs prioritisation board: the needs in the portfolio's priority order (managers'
ranks first, then the score), each with its score in words and the PPAs addressing it; the
summary of high-priority needs no PPA addresses; its filters (the need list's); its export in
the board's order.

Managers move a need up, down or to a rank with buttons (plain forms: they work by keyboard
and without script), each carrying the version the board showed as If-Match; the board comes
back saying where the need now stands, the moved need's control focused. The service judges
who may (staff are refused there too) and refuses a stale move."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages.common import (
    NEED_STATUSES,
    FormError,
    api,
    download,
    fetch,
    fetch_items,
    fetch_page,
    if_match,
    is_manager,
    offset_param,
    parse_id,
    query_filters,
    read_form,
    redirect,
)
from gateway_service.web import render
from obcms_platform.formatting import quoted

BOARD = "/oobc-management/portfolio/needs/priorities/"
# The board's filters: the need list's, and the order is always the board's.
BOARD_FILTERS = ("status", "assessment_id", "community", "addressed", "q")
PRIORITY_ORDER = ("sort", "priority")
# What a move returns to: the board's filters and page.
BACK = (*BOARD_FILTERS, "offset")

router = APIRouter(include_in_schema=False)


def _back(form: dict[str, str]) -> list[tuple[str, str]]:
    """The board's filters and page a move came from (its hidden `back_*` fields)."""
    return [(name, form[f"back_{name}"]) for name in BACK if form.get(f"back_{name}", "")]


def _filters_of(back: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in back if name in BOARD_FILTERS]


async def _board(
    request: Request,
    user: PageUser,
    filters: list[tuple[str, str]],
    *,
    error: FormError | None = None,
) -> Response:
    listed = [*filters, PRIORITY_ORDER]
    items, pages, list_error = await fetch_page(request, user, "portfolio", "/needs", listed)
    summary = await fetch(request, user, "portfolio", "/needs/priority-summary", params=filters)
    # Ranks are the portfolio's, whatever the filters show: the last is among all needs.
    everywhere = (
        await fetch(request, user, "portfolio", "/needs/priority-summary") if filters else summary
    )
    ppas = await fetch_items(request, user, "portfolio", "/ppas")
    assessments = await fetch_items(request, user, "portfolio", "/assessments")
    moved_id = request.query_params.get("moved", "")
    notice = None
    if moved_id and not error:
        reply = await api(request, user, "portfolio", "GET", f"/needs/{parse_id(moved_id, 'need')}")
        if reply.ok:
            notice = _moved_words(reply.body)
    return render(
        request,
        "need_priorities.html",
        {
            "items": items,
            "pages": pages,
            "summary": summary,
            "filters": dict(filters),
            "export_query": urlencode(filters),
            "back": [*filters, ("offset", str(offset_param(request)))],
            "list_error": list_error,
            "error": error,
            "notice": notice,
            "moved_id": moved_id,
            "statuses": NEED_STATUSES,
            "assessments": assessments,
            "ppa_titles": {ppa["id"]: ppa["title"] for ppa in ppas},
            "may_rank": is_manager(user),
            "last_rank": everywhere["ranked"],
        },
        status_code=refused.status if (refused := error or list_error) else 200,
    )


def _moved_words(need: dict[str, Any]) -> str:
    """Where a moved need now stands, in a sentence."""
    if need["priority_rank"] is None:
        return f"{quoted(need['title'])} is no longer ranked: its score places it"
    return f"{quoted(need['title'])} is now rank {need['priority_rank']}"


@router.get(BOARD)
async def need_priorities(request: Request, user: PageUser) -> Response:
    return await _board(request, user, query_filters(request, BOARD_FILTERS))


@router.get(BOARD + "export/")
async def need_priorities_export(request: Request, user: PageUser) -> Response:
    """The board's needs under its filters, in its order, as CSV or Excel."""
    params = [
        *query_filters(request, BOARD_FILTERS),
        PRIORITY_ORDER,
        ("format", request.query_params.get("format") or "csv"),
    ]
    return await download(request, user, "portfolio", "/needs", "the needs board", params=params)


@router.post(BOARD + "{need_id}/rank/")
async def need_rank(request: Request, user: PageUser, need_id: str) -> Response:
    """Put the need at the form's `rank` (empty: clear its rank) as of the board's version."""
    need_id = parse_id(need_id, "need")
    form, _ = await read_form(request)
    back = _back(form)
    typed = form.get("rank", "").strip()
    if typed and not (typed.isdigit() and int(typed) >= 1):
        error = FormError(422, "rank: enter a whole number, 1 or more", "rank")
        return await _board(request, user, _filters_of(back), error=error)
    reply = await api(
        request,
        user,
        "portfolio",
        "PUT",
        f"/needs/{need_id}/rank",
        json={"rank": int(typed) if typed else None},
        headers=if_match(form.get("version", "")),
    )
    if not reply.ok:
        return await _board(request, user, _filters_of(back), error=reply.as_error())
    # No #fragment: a page with a target element does not autofocus (the moved need's button).
    return redirect(f"{BOARD}?{urlencode([*back, ('moved', need_id)])}")
