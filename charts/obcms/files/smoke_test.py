"""`helm test`: the deployment guide's smoke tests against the gateway (stdlib only).

1. /health/ answers 200 with status "healthy".
2. Login at /accounts/login/ sets the `sessionid` cookie.
3. The calendar page and the JSON feed answer; the feed has an `events` list.
4. A task created at /oobc-management/staff/tasks/create/ (X-CSRFToken) shows in the list.

The Job talks to the gateway's Service over plain HTTP, as the ingress controller does, and
says so with X-Forwarded-Proto: https (the gateway trusts it from inside the NetworkPolicy).
Cookies are kept by hand: production cookies are Secure, which urllib's jar would withhold.
"""

import http.cookies
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

BASE = os.environ["OBCMS_SMOKE_URL"].rstrip("/")
cookies = {}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(path, data=None, headers=None, redirects=5):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    sent = {"X-Forwarded-Proto": "https", **(headers or {})}
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    # BASE is the chart's own http:// URL of the gateway Service.
    request = urllib.request.Request(BASE + path, data=body, headers=sent)  # noqa: S310
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    except urllib.error.URLError as error:  # not listening (yet)
        return 0, str(error.reason)
    with response:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            cookies.update({name: morsel.value for name, morsel in jar.items()})
        status, text = response.status, response.read().decode()
        location = response.headers.get("Location")
    if status in (301, 302, 303, 307, 308) and location and redirects:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(BASE + path, location))
        following = target.path + (f"?{target.query}" if target.query else "")
        return call(following, None, headers, redirects - 1)
    return status, text


def check(condition, message):
    if not condition:
        print(f"FAIL {message}", flush=True)
        sys.exit(1)
    print(f"ok   {message}", flush=True)


status, body = 0, ""
for _ in range(30):  # the gateway may still be rolling out
    status, body = call("/health/")
    if status == 200:
        break
    time.sleep(2)
check(
    status == 200 and json.loads(body).get("status") == "healthy", f"/health/ {status} {body[:300]}"
)

call("/accounts/login/")  # picks up the csrftoken cookie
password = os.environ["OBCMS_ADMIN_PASSWORD"]
csrf = {"X-CSRFToken": cookies.get("csrftoken", "")}
status, _ = call("/accounts/login/", {"username": "admin", "password": password}, csrf)
check("sessionid" in cookies, f"login sets sessionid (status {status})")

status, _ = call("/oobc-management/staff/calendar/")
check(status == 200, f"calendar page {status}")
for path in ("/oobc-management/calendar/feed/json/", "/oobc-management/staff/calendar/feed/json/"):
    status, body = call(path)
    events = json.loads(body).get("events") if status == 200 else None
    check(isinstance(events, list), f"{path} {status}: {len(events or [])} events")

title = f"Smoke test {uuid.uuid4().hex[:8]}"
status, _ = call(
    "/oobc-management/staff/tasks/create/",
    {"title": title, "domain": "general", "status": "not_started"},
    {"X-CSRFToken": cookies.get("csrftoken", "")},
)
check(status < 400, f"task create {status}")
status, body = call("/oobc-management/staff/tasks/")
check(status == 200 and title in body, f"task list shows {title!r}")
print("smoke tests passed", flush=True)
