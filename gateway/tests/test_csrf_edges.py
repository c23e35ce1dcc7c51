"""CSRF edges: a blank bearer header, the token rotated at login, login CSRF."""

from __future__ import annotations

from gateway_helpers import ADMIN_PASSWORD, LOGIN, csrf_header, login, signed_in

TASKS = "/api/v1/tasks"
ADMIN_FORM = {"username": "admin", "password": ADMIN_PASSWORD}
CROSS_SITE = {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"}


def test_a_blank_bearer_header_does_not_exempt_a_session_from_csrf(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    blank = {"Authorization": b"Bearer \xa0"}
    forged = client.post(TASKS, json={"title": "rides on the session"}, headers=blank)
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "csrf_failed"
    # It is a cookie request like any other: with the token it goes through.
    sent = client.post(
        TASKS, json={"title": "with the token"}, headers={**blank, **csrf_header(client)}
    )
    assert sent.status_code == 201, sent.text


def test_login_gives_the_browser_a_new_csrf_token(make_client):
    client = make_client()
    client.get(LOGIN)
    before = client.cookies["csrftoken"]
    assert client.post(LOGIN, data={**ADMIN_FORM, "csrftoken": before}).status_code == 303
    after = client.cookies["csrftoken"]
    assert after != before
    stale = client.post(TASKS, json={"title": "stale token"}, headers={"X-CSRFToken": before})
    assert stale.status_code == 403
    fresh = client.post(TASKS, json={"title": "fresh token"}, headers={"X-CSRFToken": after})
    assert fresh.status_code == 201, fresh.text


def test_the_login_form_refuses_a_cross_site_post(make_client):
    # An attacker's page submits the form with the attacker's credentials from the victim's
    # browser, which marks the POST with Origin and cannot add the csrftoken it never saw.
    first_visit = make_client()
    forged = first_visit.post(LOGIN, data=ADMIN_FORM, headers=CROSS_SITE)
    assert forged.status_code == 403
    assert "CSRF verification failed" in forged.text
    assert "sessionid" not in first_visit.cookies
    returning = make_client()
    returning.get(LOGIN)  # holds a csrftoken cookie the attacker cannot read
    guessed = returning.post(LOGIN, data={**ADMIN_FORM, "csrftoken": "guessed"}, headers=CROSS_SITE)
    assert guessed.status_code == 403
    assert "sessionid" not in returning.cookies
    without_field = returning.post(LOGIN, data=ADMIN_FORM)
    assert without_field.status_code == 403

    # The real form signs in, and so does a script that sends nothing a browser adds (the
    # deployment guide's curl); the bearer token endpoint stays CSRF-free and sets no cookie.
    assert login(make_client(), "admin", ADMIN_PASSWORD).status_code == 303
    assert make_client().post(LOGIN, data=ADMIN_FORM).status_code == 303
    token = make_client().post("/api/v1/auth/token", data=ADMIN_FORM, headers=CROSS_SITE)
    assert token.status_code == 200
    assert "set-cookie" not in token.headers
