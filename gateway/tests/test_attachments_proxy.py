"""Attachments through the gateway's JSON API facade: an upload larger than the ordinary body
limit reaches the service, the download comes back as an attachment with the same bytes, a
body over the attachment limit is refused at the gateway, and a deactivated user's token
downloads nothing."""

from __future__ import annotations

import hashlib
import os

from gateway_helpers import USER_PASSWORD, create_user, ok, post, token_for

from obcms_platform.settings import ServiceSettings
from obcms_platform.testing import assert_error
from obcms_platform.testing.files import PDF

FILE_LIMIT: int = ServiceSettings.model_fields["attachment_max_bytes"].default
BODY_LIMIT: int = ServiceSettings.model_fields["max_body_bytes"].default


def test_a_file_goes_up_and_comes_back_through_the_gateway(make_client, staff, admin_headers):
    client = make_client()
    ppa = post(client, staff["headers"], "/ppas", {"title": "Solar dryers", "category": "oobc_ppa"})
    path = f"/api/v1/ppas/{ppa['id']}/attachments"
    content = PDF + os.urandom(3 * BODY_LIMIT)  # past the limit of other requests' bodies
    created = ok(
        client.post(
            path,
            files={"file": ("Budget — 2027.pdf", content, "application/pdf")},
            headers=staff["headers"],
        )
    )
    assert created["sha256"] == hashlib.sha256(content).hexdigest()

    colleague = create_user(client, admin_headers)
    colleague_headers = token_for(client, colleague["username"], USER_PASSWORD)
    download = client.get(f"{path}/{created['id']}/content", headers=colleague_headers)
    assert download.status_code == 200, download.text
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''Budget%20%E2%80%94%202027.pdf"
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "private, no-store"

    too_large = client.post(
        path,
        files={"file": ("big.pdf", PDF + bytes(2 * FILE_LIMIT), "application/pdf")},
        headers=staff["headers"],
    )
    assert str(FILE_LIMIT) in assert_error(too_large, 413, "file")["message"]
    listing = ok(client.get(path, headers=staff["headers"]), 200)
    assert [item["id"] for item in listing["items"]] == [created["id"]]

    # Deactivated, the colleague's token downloads nothing.
    deactivated = client.patch(
        f"/api/v1/users/{colleague['id']}", json={"is_active": False}, headers=admin_headers
    )
    assert deactivated.status_code == 200, deactivated.text
    refused = client.get(f"{path}/{created['id']}/content", headers=colleague_headers)
    assert_error(refused, 401)
    assert_error(client.get(f"{path}/{created['id']}/content"), 401)
