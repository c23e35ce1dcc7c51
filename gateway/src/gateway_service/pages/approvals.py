"""The budget approval queue page: the PPAs waiting for the viewer's decision grouped by
stage, each with its amount, what approving it does to the budget ceilings (in words) and
its days waiting; Approve, Return and Reject use the PPA's approval route with the version
the queue was read at (If-Match), Return and Reject after a note and a confirmation. Below:
the active ceilings' usage and, for managers, setting a ceiling and deactivating one.

Every action redirects with ``?saved=<key>``; the page says the sentence `NOTICES` holds for
that key."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.formatting import pesos
from gateway_service.pages.common import (
    FUNDING_SOURCES,
    SECTORS,
    api,
    fetch,
    if_match,
    is_manager,
    parse_id,
    read_form,
    redirect,
    sentence,
)
from gateway_service.pages.record_forms import Deletion, Field, confirm_page, parse, service_errors
from gateway_service.web import render
from obcms_platform.vocabulary import ApprovalStatus, CeilingEnforcement, values

APPROVALS = "/oobc-management/portfolio/approvals/"
DECISION = APPROVALS + "{ppa_id}/{decision}/"
CEILINGS = APPROVALS + "ceilings/"
CEILING_DEACTIVATE = CEILINGS + "{ceiling_id}/deactivate/"
ENFORCEMENTS = values(CeilingEnforcement)
# A move back: a rejected PPA returns to draft, for its team to change it.
BACK_MOVES = frozenset({ApprovalStatus.REJECTED.value, ApprovalStatus.DRAFT.value})
# Return and Reject: what the confirmation asks, and the moves made (Return: rejected, then
# draft at once).
DECISIONS = {
    "reject": ("Reject", (ApprovalStatus.REJECTED,)),
    "return": ("Return for changes", (ApprovalStatus.REJECTED, ApprovalStatus.DRAFT)),
}
NOTE = Field("note", "Note", required=True, max_length=5_000)
CEILING_FIELDS = (
    Field("sector", "Sector", "choice", required=True, choices=SECTORS),
    Field("fiscal_year", "Fiscal year", "year", required=True),
    Field("funding_source", "Funding source", "choice", choices=FUNDING_SOURCES),
    Field("enforcement", "Enforcement", "choice", required=True, choices=ENFORCEMENTS),
    Field("amount", "Amount", "amount", required=True),
    Field("notes", "Notes", max_length=5_000),
)
STALE = (
    "Someone moved or changed this PPA since the queue was shown: the queue below shows it as "
    "it is now"
)

NOTICES = {
    "approved": "Approved: the PPA moved on to its next stage",
    "rejected": "Rejected: the PPA left the queue with your note",
    "returned": "Returned for changes: the PPA is back in draft with your note",
    "ceiling-set": "Ceiling set",
    "ceiling-deactivated": "Ceiling deactivated: it no longer holds any PPA",
}

router = APIRouter(include_in_schema=False)


def impact_in_words(item: dict[str, Any]) -> str:
    """What approving the PPA does to its ceilings, as a sentence."""
    if not item["ceilings"]:
        return "No active ceiling holds this PPA."
    said = []
    for ceiling in item["ceilings"]:
        if ceiling["flag"]:
            said.append(sentence(ceiling["flag"]))
        else:
            said.append(
                f"Leaves {pesos(ceiling['headroom_after'])} under the {ceiling['enforcement']} "
                f"ceiling for {ceiling['name']}"
            )
    return "; ".join(said) + "."


def waiting_in_words(days: int) -> str:
    if days <= 0:
        return "since today"
    return "1 day" if days == 1 else f"{days} days"


async def _page(
    request: Request,
    user: Identity,
    *,
    general: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    queue, usage = await asyncio.gather(
        fetch(request, user, "portfolio", "/approval-queue"),
        fetch(request, user, "portfolio", "/budget-ceilings/usage"),
    )
    groups = [
        (stage, [item for item in queue["items"] if item["approval_status"] == stage])
        for stage in queue["stages"]
    ]
    for item in queue["items"]:
        item["impact"] = impact_in_words(item)
        item["waiting"] = waiting_in_words(item["days_waiting"])
        item["approvals"] = [move for move in item["moves"] if move not in BACK_MOVES]
    return render(
        request,
        "approvals.html",
        {
            "queue": queue,
            "groups": groups,
            "usage": usage,
            "notice": NOTICES.get(request.query_params.get("saved", "")),
            "can_manage": is_manager(user),
            "general_error": general,
            "errors": errors or {},
            "form": form or {"enforcement": "hard"},
            "sectors": SECTORS,
            "sources": FUNDING_SOURCES,
            "enforcements": ENFORCEMENTS,
        },
        status_code=status,
    )


@router.get(APPROVALS)
async def approvals(request: Request, user: PageUser) -> Response:
    return await _page(request, user)


async def _move(
    request: Request, user: Identity, ppa_id: str, to: str, version: str, note: str = ""
) -> tuple[bool, str | None, int]:
    """One approval move at `version`: (done, the refusal in words, the status)."""
    reply = await api(
        request,
        user,
        "portfolio",
        "POST",
        f"/ppas/{ppa_id}/approval",
        json={"to": to, "note": note},
        headers=if_match(version),
    )
    if reply.ok:
        return True, str(reply.body["version"]), reply.status
    _, general = service_errors(reply, (), stale=STALE)
    return False, general, reply.status


@router.post(APPROVALS + "{ppa_id}/approve/")
async def approve(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    to = form.get("to", "")
    if to in BACK_MOVES:
        return await _page(request, user, general="Choose the stage to approve it into", status=422)
    done, said, status = await _move(request, user, ppa_id, to, form.get("version", ""))
    if done:
        return redirect(APPROVALS + "?saved=approved")
    return await _page(request, user, general=said, status=status)


async def _decision_page(
    request: Request,
    user: Identity,
    ppa_id: str,
    decision: str,
    *,
    error: str | None = None,
    note_error: str | None = None,
    note: str = "",
    version: str | None = None,
    status: int = 200,
) -> Response:
    if decision not in DECISIONS:
        return await _page(request, user, general="No such decision", status=404)
    ppa = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}")
    verb, _ = DECISIONS[decision]
    return render(
        request,
        "approval_decision.html",
        {
            "ppa": ppa,
            "verb": verb,
            "decision": decision,
            "post_to": DECISION.format(ppa_id=ppa_id, decision=decision),
            "back": APPROVALS,
            "version": version or ppa["version"],
            "error": error,
            "errors": {"note": note_error} if note_error else {},
            "note": note,
        },
        status_code=status,
    )


@router.get(DECISION)
async def decision_confirm(
    request: Request, user: PageUser, ppa_id: str, decision: str
) -> Response:
    """Return or Reject: the note asked, and a confirmation (at the version the queue showed,
    `?version=`)."""
    version = request.query_params.get("version", "")
    return await _decision_page(
        request, user, parse_id(ppa_id, "PPA"), decision, version=version or None
    )


@router.post(DECISION)
async def decide(request: Request, user: PageUser, ppa_id: str, decision: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    version, note = form.get("version", ""), form.get("note", "")
    if decision not in DECISIONS:
        return await _page(request, user, general="No such decision", status=404)
    parsed = parse(form, (NOTE,))
    if parsed.errors:
        return await _decision_page(
            request,
            user,
            ppa_id,
            decision,
            note_error=parsed.errors["note"],
            version=version,
            status=422,
        )
    _, moves = DECISIONS[decision]
    for to in moves:
        done, said, status = await _move(request, user, ppa_id, to.value, version, note)
        if not done:
            return await _decision_page(
                request, user, ppa_id, decision, error=said, note=note, status=status
            )
        version = said or ""
    return redirect(APPROVALS + f"?saved={'returned' if decision == 'return' else 'rejected'}")


@router.post(CEILINGS)
async def ceiling_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    parsed = parse(form, CEILING_FIELDS)
    if not parsed.errors:
        reply = await api(
            request, user, "portfolio", "POST", "/budget-ceilings", json=parsed.payload
        )
        if reply.ok:
            return redirect(APPROVALS + "?saved=ceiling-set#ceilings")
        errors, general = service_errors(reply, CEILING_FIELDS)
        return await _page(
            request, user, errors=errors, general=general, form=form, status=reply.status
        )
    return await _page(request, user, errors=parsed.errors, form=form, status=422)


def _deactivation(ceiling: dict[str, Any]) -> Deletion:
    return Deletion(
        heading=f"Deactivate the ceiling for {ceiling['name']}?",
        consequence=(
            f"The {ceiling['enforcement']} ceiling of {pesos(ceiling['amount'])} no longer holds "
            "PPAs entering budget review or the allocations recorded; it stays in the history."
        ),
        post_to=CEILING_DEACTIVATE.format(ceiling_id=ceiling["id"]),
        back=APPROVALS + "#ceilings",
        version=ceiling["version"],
    )


async def _active_ceiling(request: Request, user: Identity, ceiling_id: str) -> dict[str, Any]:
    usage = await fetch(request, user, "portfolio", "/budget-ceilings/usage")
    for ceiling in usage:
        if ceiling["id"] == ceiling_id:
            return dict(ceiling)
    # Not active: the record itself (404 when there is none), without the usage's name.
    record = await fetch(request, user, "portfolio", f"/budget-ceilings/{ceiling_id}")
    return {**record, "name": f"{record['sector']} {record['fiscal_year']}"}


@router.get(CEILING_DEACTIVATE)
async def ceiling_deactivate_confirm(request: Request, user: PageUser, ceiling_id: str) -> Response:
    ceiling = await _active_ceiling(request, user, parse_id(ceiling_id, "budget ceiling"))
    return await confirm_page(request, _deactivation(ceiling))


@router.post(CEILING_DEACTIVATE)
async def ceiling_deactivate(request: Request, user: PageUser, ceiling_id: str) -> Response:
    ceiling_id = parse_id(ceiling_id, "budget ceiling")
    form, _ = await read_form(request)
    reply = await api(
        request,
        user,
        "portfolio",
        "PATCH",
        f"/budget-ceilings/{ceiling_id}",
        json={"is_active": False},
        headers=if_match(form.get("version", "")),
    )
    if reply.ok:
        return redirect(APPROVALS + "?saved=ceiling-deactivated#ceilings")
    _, general = service_errors(
        reply, (), stale="Someone changed this ceiling since you opened it: see it below"
    )
    ceiling = await _active_ceiling(request, user, ceiling_id)
    return await confirm_page(request, _deactivation(ceiling), error=general, status=reply.status)
