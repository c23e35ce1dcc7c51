"""Comments and attachments through the record pages, against the real tasks, portfolio and
calendar services: one stream of changes, comments and uploads newest first; comments posted,
edited (at their version, by their author) and deleted (asked first; "Comment deleted" stays)
with errors beside the textarea; mentions kept only while "@Full Name" is in the text; files
uploaded through a CSRF-checked page form, listed in words, downloaded through the gateway as
attachments, refused in words beside the file input."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from gateway_helpers import USER_PASSWORD, ok, person, post, signed_in, submit

FRONTS_CALENDAR = True  # events take comments too

PPAS = "/oobc-management/portfolio/ppas/"
TASKS = "/oobc-management/staff/tasks/"
NEEDS = "/oobc-management/portfolio/needs/"
ASSESSMENTS = "/oobc-management/portfolio/assessments/"
EVENTS = "/oobc-management/calendar/events/"
# A small valid PDF (the services sniff the content, not the name).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
) + b"%" * 1500


def _marker() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def people(make_client, admin_headers) -> dict[str, Any]:
    """An author, a colleague to mention and a manager, with full names, each signed in."""
    marker = _marker()
    found: dict[str, Any] = {"marker": marker}
    for key, role, name in (
        ("author", "staff", f"Amina Sali {marker}"),
        ("colleague", "staff", f"Farida Usman {marker}"),
        ("other", "staff", f"Rashid Omar {marker}"),
        ("manager", "manager", f"Datu Manager {marker}"),
    ):
        user = person(make_client(), admin_headers, role, name)
        found[key] = {
            **user,
            "name": name,
            "pages": signed_in(make_client(), user["username"], USER_PASSWORD),
        }
    return found


def _ppa(people: dict[str, Any], title: str) -> dict[str, Any]:
    client = people["author"]["pages"]
    return post(
        client, people["author"]["headers"], "/ppas", {"title": title, "category": "moa_ppa"}
    )


def _comments(client: httpx.Client, headers: dict[str, str], path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(client.get(f"/api/v1{path}/comments", headers=headers), 200)[
        "items"
    ]
    return items


def _stream(html: str) -> list[str]:
    """The activity stream's entries as text, in page order."""
    section = html.split('id="activity"', 1)[1].split("</ol>", 1)[0]
    entries = re.split(r"<li\b[^>]*>", section)[1:]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", entry)).strip() for entry in entries]


def _upload(
    client: httpx.Client, page: str, name: str, content: bytes, declared: str = "application/pdf"
) -> httpx.Response:
    return client.post(
        page + "attachments/",
        data={"csrftoken": client.cookies["csrftoken"]},
        files={"file": (name, content, declared)},
    )


def test_comment_with_a_mention_posts_and_shows_newest_first(people):
    author, colleague = people["author"], people["colleague"]
    ppa = _ppa(people, f"Road to Barangay {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    client = author["pages"]

    # Chosen: the colleague (named in the text) and another person (whose name was erased).
    body = f"Please check the **budget**, @{colleague['name']}."
    posted = submit(
        client,
        page + "comments/",
        {"body": body, "mention_ids": [colleague["id"], people["other"]["id"]]},
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == page + "?saved=comment-posted#activity"
    [comment] = _comments(client, author["headers"], f"/ppas/{ppa['id']}")
    assert comment["mention_ids"] == [colleague["id"]]

    shown = client.get(posted.headers["location"])
    assert shown.status_code == 200
    assert "Comment posted" in shown.text
    stream = _stream(shown.text)
    assert len(stream) == 2
    assert stream[0].startswith(f"{author['name']} commented")
    assert f"@{colleague['name']}" in stream[0]
    assert "<strong>budget</strong>" in shown.text  # Markdown, rendered by the service
    assert stream[1].startswith(f"{author['name']} created it")
    # The comment form offers people to mention from the people picker's search.
    assert 'data-people-url="/oobc-management/people.json"' in shown.text


def test_comment_refusals_show_beside_the_textarea_with_the_typing_kept(people):
    ppa = _ppa(people, f"Water system {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    client = people["author"]["pages"]

    empty = submit(client, page + "comments/", {"body": "   "})
    assert empty.status_code == 422
    assert 'id="comment-new-error" role="alert">Write the comment first' in empty.text
    assert 'aria-invalid="true"' in empty.text

    mention = f"@{people['colleague']['name']}"
    long_text = f"{mention} " + "x" * 10_001
    too_long = submit(
        client, page + "comments/", {"body": long_text, "mention_ids": people["colleague"]["id"]}
    )
    assert too_long.status_code == 422
    assert "A comment may have at most 10,000 characters" in too_long.text
    assert long_text in too_long.text  # the typing is kept
    # ...with the person it mentions, so that posting again still mentions them.
    assert f'name="mention_ids" value="{people["colleague"]["id"]}"' in too_long.text
    assert _comments(client, people["author"]["headers"], f"/ppas/{ppa['id']}") == []

    unknown = submit(client, f"{PPAS}{uuid.uuid4()}/comments/", {"body": "Hello"})
    assert unknown.status_code == 404


def test_raw_html_in_a_comment_never_reaches_the_page(people):
    ppa = _ppa(people, f"Sanitised {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    client = people["author"]["pages"]
    body = '<script>alert("x")</script> [link](javascript:alert(1)) <img src=x onerror=alert(1)>'
    assert submit(client, page + "comments/", {"body": body}).status_code == 303
    shown = client.get(page).text
    comment = shown.split('class="comment-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in comment
    assert "<a " not in comment  # a javascript: link stays text
    assert "<img" not in comment


def test_edit_at_its_version_by_its_author_and_delete_by_author_or_manager(people):
    author, other, manager = people["author"], people["other"], people["manager"]
    ppa = _ppa(people, f"Livelihood {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    client = author["pages"]
    assert submit(client, page + "comments/", {"body": "First draft"}).status_code == 303
    [comment] = _comments(client, author["headers"], f"/ppas/{ppa['id']}")
    edit = f"{page}comments/{comment['id']}/edit/"

    shown = client.get(page).text
    assert f'action="{edit}"' in shown  # the author may edit within the window
    assert f'name="version" value="{comment["version"]}"' in shown
    # Someone else sees neither Edit nor Delete on it.
    others = other["pages"].get(page).text
    assert f'action="{edit}"' not in others
    assert f"comments/{comment['id']}/delete/" not in others

    saved = submit(client, edit, {"body": "Second draft", "version": str(comment["version"])})
    assert saved.status_code == 303
    assert saved.headers["location"] == page + f"?saved=comment-saved#comment-{comment['id']}"
    after = client.get(saved.headers["location"]).text
    assert "Comment saved" in after
    assert "Second draft" in after
    assert "(edited)" in after

    # The version the form was read at is stale now: refused, the typing kept.
    stale = submit(client, edit, {"body": "Third draft", "version": str(comment["version"])})
    assert stale.status_code == 412
    assert "Someone changed this comment meanwhile" in stale.text
    assert "Third draft" in stale.text
    [current] = _comments(client, author["headers"], f"/ppas/{ppa['id']}")
    assert current["body"] == "Second draft"

    # Another staff member may neither edit nor delete it.
    forbidden = submit(
        other["pages"], edit, {"body": "Mine now", "version": str(current["version"])}
    )
    assert forbidden.status_code == 403
    assert "Only its author may edit a comment" in forbidden.text
    delete = f"{page}comments/{comment['id']}/delete/"
    refused = submit(other["pages"], delete, {"version": str(current["version"])})
    assert refused.status_code == 403

    # A manager may delete it, asked first; the stream then says "Comment deleted".
    question = manager["pages"].get(delete, params={"version": current["version"]})
    assert question.status_code == 200
    assert "Delete this comment?" in question.text
    assert f'name="version" value="{current["version"]}"' in question.text
    deleted = submit(manager["pages"], delete, {"version": str(current["version"])})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == page + "?saved=comment-deleted#activity"
    stream = _stream(client.get(page).text)
    assert stream[0].startswith("Comment deleted")
    assert "Second draft" not in stream[0]


def test_an_edit_keeps_only_the_mentions_still_in_its_text(people):
    author, colleague, other = people["author"], people["colleague"], people["other"]
    ppa = _ppa(people, f"Mentions {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    client = author["pages"]
    both = f"@{colleague['name']} and @{other['name']}, please look"
    posted = submit(
        client, page + "comments/", {"body": both, "mention_ids": [colleague["id"], other["id"]]}
    )
    assert posted.status_code == 303
    [comment] = _comments(client, author["headers"], f"/ppas/{ppa['id']}")
    assert sorted(comment["mention_ids"]) == sorted([colleague["id"], other["id"]])
    # The edit form carries both mentions; the text now names only the colleague.
    form = client.get(page).text
    assert f'value="{other["id"]}" data-name="{other["name"]}"' in form
    saved = submit(
        client,
        f"{page}comments/{comment['id']}/edit/",
        {
            "body": f"@{colleague['name']}, please look",
            "mention_ids": [colleague["id"], other["id"]],
            "version": str(comment["version"]),
        },
    )
    assert saved.status_code == 303
    [edited] = _comments(client, author["headers"], f"/ppas/{ppa['id']}")
    assert edited["mention_ids"] == [colleague["id"]]


def test_a_deactivated_commenter_reads_inactive_and_a_mention_of_them_survives_an_edit(
    people, make_client, admin_headers
):
    """Their comment is signed "(inactive)"; a mention of them is still their "@Full Name"
    (not "@… (inactive)"), so that editing the comment keeps it."""
    author, colleague = people["author"], people["colleague"]
    ppa = _ppa(people, f"Leaver {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    said = {"body": "Handing this over soon"}
    assert submit(colleague["pages"], page + "comments/", said).status_code == 303
    mention = f"@{colleague['name']}, please look"
    posted = submit(
        author["pages"], page + "comments/", {"body": mention, "mention_ids": colleague["id"]}
    )
    assert posted.status_code == 303
    deactivated = make_client().patch(
        f"/api/v1/users/{colleague['id']}", json={"is_active": False}, headers=admin_headers
    )
    assert deactivated.status_code == 200, deactivated.text

    shown = author["pages"].get(page).text
    assert f"{colleague['name']} (inactive)" in _stream(shown)[1]
    assert f'value="{colleague["id"]}" data-name="{colleague["name"]}"' in shown
    mine = next(
        comment
        for comment in _comments(author["pages"], author["headers"], f"/ppas/{ppa['id']}")
        if comment["author_id"] == author["id"]
    )
    saved = submit(
        author["pages"],
        f"{page}comments/{mine['id']}/edit/",
        {
            "body": mention + " today",
            "mention_ids": colleague["id"],
            "version": str(mine["version"]),
        },
    )
    assert saved.status_code == 303
    [edited] = [
        comment
        for comment in _comments(author["pages"], author["headers"], f"/ppas/{ppa['id']}")
        if comment["id"] == mine["id"]
    ]
    assert edited["mention_ids"] == [colleague["id"]]


def test_every_kind_of_record_page_takes_comments(people):
    author = people["author"]
    client, headers = author["pages"], author["headers"]
    marker = people["marker"]
    task = post(client, headers, "/tasks", {"title": f"Task {marker}"})
    need = post(client, headers, "/needs", {"title": f"Need {marker}"})
    assessment = post(
        client,
        headers,
        "/assessments",
        {
            "title": f"Assessment {marker}",
            "primary_methodology": "survey",
            "assessment_level": "barangay",
        },
    )
    event = post(
        client,
        headers,
        "/events",
        {
            "title": f"Event {marker}",
            "event_type": "meeting",
            "start": "2034-10-10T09:00:00+08:00",
            "end": "2034-10-10T10:00:00+08:00",
        },
    )
    for page, record in (
        (TASKS, task),
        (NEEDS, need),
        (ASSESSMENTS, assessment),
        (EVENTS, event),
    ):
        url = f"{page}{record['id']}/"
        posted = submit(client, url + "comments/", {"body": f"Noted on {page}"})
        assert posted.status_code == 303, (page, posted.text)
        shown = client.get(url)
        assert shown.status_code == 200
        assert _stream(shown.text)[0].startswith(f"{author['name']} commented"), page
        assert f"Noted on {page}" in shown.text


def test_attach_list_download_and_delete_through_the_pages(people):
    author, other = people["author"], people["other"]
    ppa = _ppa(people, f"Files {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    client = author["pages"]

    uploaded = _upload(client, page, "Budget plan.pdf", PDF)
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"] == page + "?saved=file-attached#attachments"
    shown = client.get(uploaded.headers["location"]).text
    assert "File attached" in shown
    listed = shown.split('id="attachments"', 1)[1].split("</section>", 1)[0]
    assert "Budget plan.pdf" in listed
    assert "PDF document, 2 KB" in listed
    assert author["name"] in listed
    # The upload is in the stream too, newest first.
    stream = _stream(shown)
    assert stream[0].startswith(f"{author['name']} attached “Budget plan.pdf”")

    [attachment] = ok(client.get(f"/api/v1/ppas/{ppa['id']}/attachments"), 200)["items"]
    link = f"{page}attachments/{attachment['id']}/download/"
    assert f'href="{link}"' in listed
    download = other["pages"].get(link)  # any reader of the PPA
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "Budget" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in download.headers["cache-control"]
    assert other["pages"].get(f"{page}attachments/{uuid.uuid4()}/download/").status_code == 404
    # Never a static path: the files are not under /static/.
    assert "/static/" not in link

    # Only who attached it (or an owner, a manager) is offered Delete; asked first.
    delete = f"{page}attachments/{attachment['id']}/delete/"
    assert delete not in other["pages"].get(page).text
    refused = submit(other["pages"], delete)
    assert refused.status_code == 403
    assert "may delete this file" in refused.text
    question = client.get(delete)
    assert question.status_code == 200
    assert "Delete the file “Budget plan.pdf”?" in question.text
    deleted = submit(client, delete)
    assert deleted.status_code == 303
    assert deleted.headers["location"] == page + "?saved=file-deleted#attachments"
    after = client.get(page).text
    assert "No files attached yet." in after
    assert client.get(link).status_code == 404


def test_refused_uploads_say_why_beside_the_file_input(people, make_client):
    ppa = _ppa(people, f"Refusals {people['marker']}")
    page = f"{PPAS}{ppa['id']}/"
    client = people["author"]["pages"]

    # A program named .pdf: the content decides, not the name.
    wrong_type = _upload(client, page, "report.pdf", b"MZ\x90\x00" + b"\x00" * 500)
    assert wrong_type.status_code == 415
    assert 'id="attachment-error" role="alert">' in wrong_type.text
    assert "Attach a PDF, an image" in wrong_type.text

    # Past the limit (10 MiB by default): refused beside the input, in words.
    too_large = _upload(client, page, "scan.pdf", PDF + b"0" * (10 * 1024 * 1024))
    assert too_large.status_code == 413
    assert 'id="attachment-error" role="alert">' in too_large.text
    assert "“scan.pdf” is larger than the limit of 10 MB" in too_large.text

    empty = _upload(client, page, "empty.pdf", b"")
    assert empty.status_code == 422
    assert 'id="attachment-error"' in empty.text

    # No file chosen: a browser sends the part with an empty name.
    chosen_none = _upload(client, page, "", b"")
    assert chosen_none.status_code == 422
    assert "Choose a file to attach" in chosen_none.text

    assert ok(client.get(f"/api/v1/ppas/{ppa['id']}/attachments"), 200)["items"] == []

    # The upload form is CSRF-checked like every page form...
    forged = make_client()
    forged.cookies.update(client.cookies)
    no_token = forged.post(page + "attachments/", files={"file": ("a.pdf", PDF, "application/pdf")})
    assert no_token.status_code == 403
    # ...and no other page form takes a file.
    elsewhere = client.post(
        page + "comments/",
        data={"csrftoken": client.cookies["csrftoken"], "body": "with a file"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert elsewhere.status_code == 422
    assert ok(client.get(f"/api/v1/ppas/{ppa['id']}/attachments"), 200)["items"] == []


def test_tasks_and_assessments_take_files_needs_and_events_do_not(people):
    author = people["author"]
    client, headers = author["pages"], author["headers"]
    task = post(client, headers, "/tasks", {"title": f"Task files {people['marker']}"})
    need = post(client, headers, "/needs", {"title": f"Need files {people['marker']}"})
    page = f"{TASKS}{task['id']}/"
    assert _upload(client, page, "notes.pdf", PDF).status_code == 303
    assert "notes.pdf" in client.get(page).text.split('id="attachments"', 1)[1]
    need_page = client.get(f"{NEEDS}{need['id']}/").text
    assert 'id="attachments"' not in need_page
    assert _upload(client, f"{NEEDS}{need['id']}/", "notes.pdf", PDF).status_code == 422
