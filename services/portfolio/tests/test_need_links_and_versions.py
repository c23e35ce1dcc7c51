"""Who changed a PPA, an assessment or a need last (`updated_by`), the versions (ETag /
If-Match) of assessments and needs, and a need's PPAs linked and unlinked one at a time."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import run_concurrently
from portfolio_service.progress.service import apply_task_event

from .helpers import (
    ASSESSMENTS,
    NEEDS,
    PPAS,
    create_assessment,
    create_need,
    create_ppa,
    get_ppa,
    outbox_rows,
    task_event,
)


def _get(client, caller, url: str) -> dict[str, Any]:
    response = client.get(url, headers=caller.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def link(client, caller, need_id: str, ppa_id: str, **headers: str):
    return client.put(f"{NEEDS}/{need_id}/ppas/{ppa_id}", headers={**caller.headers, **headers})


def unlink(client, caller, need_id: str, ppa_id: str, **headers: str):
    return client.delete(f"{NEEDS}/{need_id}/ppas/{ppa_id}", headers={**caller.headers, **headers})


# --- updated_by ---------------------------------------------------------------------------


def test_updated_by_names_the_last_person_to_change_a_ppa(client, staff, manager, session):
    ppa = create_ppa(client, staff)
    url = f"{PPAS}/{ppa['id']}"
    assert ppa["updated_by"] == str(staff.user_id)
    changed = client.patch(url, json={"summary": "by the manager"}, headers=manager.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["updated_by"] == str(manager.user_id)
    assert _get(client, staff, url)["updated_by"] == str(manager.user_id)

    moved = client.post(f"{url}/approval", json={"to": "technical_review"}, headers=manager.headers)
    assert moved.status_code == 200, moved.text
    client.patch(url, json={"summary": "mine again"}, headers=staff.headers)
    moved = client.post(f"{url}/approval", json={"to": "budget_review"}, headers=manager.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["updated_by"] == str(manager.user_id)

    # Progress from the tasks service is nobody's change: the last person's stays named.
    apply_task_event(session, task_event("created", uuid.uuid4(), ppa["id"], "completed", 1))
    session.commit()
    after = get_ppa(client, staff, ppa["id"])
    assert after["progress"] == 100
    assert after["updated_by"] == str(manager.user_id)


def test_updated_by_of_assessments_and_needs(client, staff, manager):
    assessment = create_assessment(client, staff)
    assert assessment["updated_by"] == str(staff.user_id)
    changed = client.patch(
        f"{ASSESSMENTS}/{assessment['id']}", json={"title": "Renamed"}, headers=manager.headers
    )
    assert changed.json()["updated_by"] == str(manager.user_id)

    ppa = create_ppa(client, staff)
    need = create_need(client, staff)
    assert need["updated_by"] == str(staff.user_id)
    for write in (
        lambda: client.patch(
            f"{NEEDS}/{need['id']}", json={"title": "Renamed"}, headers=manager.headers
        ),
        lambda: link(client, manager, need["id"], ppa["id"]),
        lambda: unlink(client, manager, need["id"], ppa["id"]),
        lambda: client.put(
            f"{NEEDS}/{need['id']}/ppas", json={"ppa_ids": [ppa["id"]]}, headers=manager.headers
        ),
    ):
        client.patch(f"{NEEDS}/{need['id']}", json={"community": "x"}, headers=staff.headers)
        response = write()
        assert response.status_code == 200, response.text
        assert response.json()["updated_by"] == str(manager.user_id)
        assert _get(client, staff, f"{NEEDS}/{need['id']}")["updated_by"] == str(manager.user_id)


# --- versions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("create", "collection"),
    [(create_need, NEEDS), (create_assessment, ASSESSMENTS)],
    ids=["need", "assessment"],
)
def test_etag_and_if_match(client, staff, create, collection):
    record = create(client, staff)
    url = f"{collection}/{record['id']}"
    assert record["version"] == 1
    assert client.get(url, headers=staff.headers).headers["ETag"] == '"1"'
    updated = client.patch(url, json={"title": "u"}, headers={**staff.headers, "If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] == '"2"'
    assert updated.json()["version"] == 2
    stale = client.patch(url, json={"title": "old"}, headers={**staff.headers, "If-Match": '"1"'})
    assert_error(stale, 412)
    bad = client.patch(url, json={"title": "x"}, headers={**staff.headers, "If-Match": "abc"})
    assert_error(bad, 422, "If-Match")
    assert _get(client, staff, url)["title"] == "u"
    assert_error(client.delete(url, headers={**staff.headers, "If-Match": '"1"'}), 412)
    assert client.delete(url, headers={**staff.headers, "If-Match": '"2"'}).status_code == 204


# --- links one at a time --------------------------------------------------------------------


def test_ppas_are_linked_and_unlinked_one_at_a_time(client, staff, database):
    kept, added = create_ppa(client, staff, title="kept"), create_ppa(client, staff, title="new")
    need = create_need(client, staff, ppa_ids=[kept["id"]])

    response = link(client, staff, need["id"], added["id"])
    assert response.status_code == 200, response.text
    assert sorted(response.json()["ppa_ids"]) == sorted([kept["id"], added["id"]])
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert get_ppa(client, staff, added["id"])["need_ids"] == [need["id"]]
    events = outbox_rows(database, "need.changed")
    assert sorted(events[-1]["data"]["ppa_ids"]) == sorted([kept["id"], added["id"]])

    # Again: already linked, nothing changes.
    again = link(client, staff, need["id"], added["id"])
    assert again.status_code == 200, again.text
    assert sorted(again.json()["ppa_ids"]) == sorted([kept["id"], added["id"]])
    assert again.json()["version"] == 2
    assert len(outbox_rows(database, "need.changed")) == len(events)

    removed = unlink(client, staff, need["id"], added["id"])
    assert removed.status_code == 200, removed.text
    assert removed.json()["ppa_ids"] == [kept["id"]]
    assert removed.json()["version"] == 3
    assert outbox_rows(database, "need.changed")[-1]["data"]["ppa_ids"] == [kept["id"]]
    assert get_ppa(client, staff, added["id"])["need_ids"] == []
    assert get_ppa(client, staff, kept["id"])["need_ids"] == [need["id"]]

    error = assert_error(unlink(client, staff, need["id"], added["id"]), 404, "ppa_id")
    assert added["id"] in error["message"]
    assert _get(client, staff, f"{NEEDS}/{need['id']}")["ppa_ids"] == [kept["id"]]


def test_link_refusals(client, staff, other_staff, manager):
    ppa = create_ppa(client, staff)
    need = create_need(client, staff)
    unknown = str(uuid.uuid4())
    error = assert_error(link(client, staff, need["id"], unknown), 422, "ppa_id")
    assert unknown in error["message"]
    assert_error(link(client, staff, str(uuid.uuid4()), ppa["id"]), 404)
    assert_error(link(client, staff, need["id"], "nope"), 422, "ppa_id")
    assert_error(link(client, other_staff, need["id"], ppa["id"]), 403)
    assert_error(unlink(client, other_staff, need["id"], ppa["id"]), 403)
    assert _get(client, staff, f"{NEEDS}/{need['id']}")["ppa_ids"] == []
    assert link(client, manager, need["id"], ppa["id"]).status_code == 200
    assert_error(unlink(client, other_staff, need["id"], ppa["id"]), 403)
    # If-Match is honoured when sent.
    assert_error(link(client, staff, need["id"], ppa["id"], **{"If-Match": '"1"'}), 412)
    assert unlink(client, staff, need["id"], ppa["id"], **{"If-Match": '"2"'}).status_code == 200


def test_concurrent_links_of_different_ppas_are_all_kept(client, staff):
    ppas = [create_ppa(client, staff, title=f"p{n}")["id"] for n in range(4)]
    need = create_need(client, staff)
    results = run_concurrently([(lambda p=p: link(client, staff, need["id"], p)) for p in ppas])
    assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
    stored = _get(client, staff, f"{NEEDS}/{need['id']}")
    assert sorted(stored["ppa_ids"]) == sorted(ppas)
    assert stored["version"] == 5
