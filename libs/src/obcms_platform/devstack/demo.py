"""The demo organisation `obcms-dev run` loads into a fresh state folder.

Everything goes through the gateway's JSON API once the stack is up, as the person who would
do it (the admin adds people, teams and resources; the manager plans, approves and decides;
staff file tasks, leave and bookings), so the services' own rules, outbox events and task
templates apply as they would to real data. Dates are around today in the office time zone.

Loaded once per state folder: the marker file `demo_loaded` says it is there; the demo
people's passwords are generated and kept in `demo_passwords` (mode 0600) like the admin's.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from obcms_platform.auth import Role
from obcms_platform.feed import OFFICE_ZONE

MARKER_FILE = "demo_loaded"
PASSWORDS_FILE = "demo_passwords"
ADMIN_PASSWORD_FILE = "admin_password"
# The switch of `obcms-dev run`: "0" (or false/no/off) starts empty, like `--empty`.
DEMO_DATA_VARIABLE = "OBCMS_DEMO_DATA"
# Parallel requests: enough to hide latency, few enough for a 2-core machine.
WORKERS = 6
TIMEOUT_SECONDS = 60
RETRIES = 4
RETRY_PAUSE_SECONDS = 2.0

T = TypeVar("T")
Item = TypeVar("Item")


class DemoDataError(RuntimeError):
    """A demo request the platform refused (the call and its answer)."""


@dataclass(frozen=True)
class Person:
    key: str
    username: str
    full_name: str
    role: Role
    login_listed: bool = False  # printed by `obcms-dev run` (one manager, two staff)


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    full_name: str
    password: str


PEOPLE: tuple[Person, ...] = (
    Person("amina", "amina.datumanong", "Amina Datumanong", Role.MANAGER, login_listed=True),
    Person("norhana", "norhana.ampatuan", "Norhana Ampatuan", Role.STAFF, login_listed=True),
    Person("rashid", "rashid.lidasan", "Rashid Lidasan", Role.STAFF, login_listed=True),
    Person("jamila", "jamila.sinsuat", "Jamila Sinsuat", Role.STAFF),
    Person("omar", "omar.macabangkit", "Omar Macabangkit", Role.STAFF),
    Person("farida", "farida.abubakar", "Farida Abubakar", Role.STAFF),
)


def demo_wanted(env: Mapping[str, str], empty: bool) -> bool:
    """Whether to load the demo: not with `--empty`, nor with OBCMS_DEMO_DATA=0."""
    switch = env.get(DEMO_DATA_VARIABLE, "1").strip().lower()
    return not empty and switch not in {"0", "false", "no", "off"}


def is_loaded(state: Path) -> bool:
    return (state / MARKER_FILE).exists()


def stored_logins(state: Path) -> list[DemoLogin]:
    """The listed demo logins with the passwords kept in the state folder."""
    passwords_path = state / PASSWORDS_FILE
    passwords: dict[str, str] = (
        json.loads(passwords_path.read_text()) if passwords_path.exists() else {}
    )
    return [
        DemoLogin(person.role, person.username, person.full_name, passwords[person.username])
        for person in PEOPLE
        if person.login_listed and person.username in passwords
    ]


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def _passwords(state: Path) -> dict[str, str]:
    """Each demo person's password: kept from an earlier (interrupted) load, else new."""
    path = state / PASSWORDS_FILE
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    passwords = {
        person.username: kept.get(person.username) or secrets.token_urlsafe(12) for person in PEOPLE
    }
    _write_private(path, json.dumps(passwords, indent=2) + "\n")
    return passwords


def admin_password(state: Path, env: Mapping[str, str]) -> str | None:
    """The admin password as the gateway knows it (its settings, else the stored one)."""
    configured = env.get("OBCMS_GATEWAY_ADMIN_PASSWORD") or env.get("OBCMS_ADMIN_PASSWORD")
    if configured:
        return configured
    stored = state / ADMIN_PASSWORD_FILE
    return stored.read_text().strip() if stored.exists() else None


def _send(client: httpx.Client, method: str, path: str, **request: Any) -> httpx.Response:
    """One request, tried again after a 503 or a failed connection: on a busy machine a
    service can be briefly over its timeout or password-hashing queue while the demo loads."""
    for attempt in range(1, RETRIES + 1):
        try:
            answer = client.request(method, path, **request)
        except httpx.TransportError:
            if attempt == RETRIES:
                raise
        else:
            if answer.status_code != 503 or attempt == RETRIES:
                return answer
        time.sleep(attempt * RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable: the last attempt returns or raises")


class Gateway:
    """JSON calls to the gateway as one signed-in person (a bearer token)."""

    def __init__(self, client: httpx.Client, username: str, password: str) -> None:
        self.client = client
        answer = _send(
            client,
            "POST",
            "/api/v1/auth/token",
            data={"username": username, "password": password},
        )
        _check(answer, f"sign in as {username}")
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def call(self, method: str, path: str, body: object = None) -> Any:
        answer = _send(self.client, method, path, json=body, headers=self.headers)
        _check(answer, f"{method} {path}")
        return answer.json() if answer.content else None

    def post(self, path: str, body: object = None) -> Any:
        return self.call("POST", path, body)


def _check(answer: httpx.Response, what: str) -> None:
    if answer.is_error:
        raise DemoDataError(f"{what}: {answer.status_code} {answer.text[:500]}")


def _each(function: Callable[[Item], T], items: Iterable[Item]) -> list[T]:
    """`function` over `items` in parallel, the results in order."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(function, items))


def _together(*calls: Callable[[], Any]) -> list[Any]:
    return _each(lambda call: call(), calls)


def _office_time(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=OFFICE_ZONE).isoformat()


def ensure_demo(
    gateway_url: str, state: Path, env: Mapping[str, str], today: date | None = None
) -> list[DemoLogin]:
    """Load the demo organisation unless this state folder has it; the listed logins."""
    if is_loaded(state):
        return stored_logins(state)
    password = admin_password(state, env)
    if password is None:
        raise DemoDataError("the admin password is unknown (not stored, not configured)")
    passwords = _passwords(state)
    with httpx.Client(base_url=gateway_url, timeout=TIMEOUT_SECONDS) as client:
        admin = Gateway(client, "admin", password)
        _Loader(client, admin, passwords, today or datetime.now(OFFICE_ZONE).date()).load()
    (state / MARKER_FILE).write_text(datetime.now(OFFICE_ZONE).isoformat() + "\n")
    return stored_logins(state)


class _Loader:
    """The demo organisation, step by step; each step's requests in parallel."""

    def __init__(
        self, client: httpx.Client, admin: Gateway, passwords: dict[str, str], today: date
    ) -> None:
        self.client = client
        self.admin = admin
        self.passwords = passwords
        self.today = today
        self.ids: dict[str, str] = {}  # key -> id, for people, teams, PPAs, ...

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def iso(self, offset: int) -> str:
        return self.day(offset).isoformat()

    def load(self) -> None:
        """Steps that do not depend on each other run at the same time."""
        self.people()
        signed_in, _ = _together(
            lambda: _each(
                lambda person: Gateway(
                    self.client, person.username, self.passwords[person.username]
                ),
                [person for person in PEOPLE if person.login_listed],
            ),
            self.teams_and_resources,
        )
        manager, norhana, rashid = signed_in
        _together(
            lambda: self.ppas(manager),
            lambda: self.events(manager, norhana),
            lambda: self.bookings_and_leave(manager, norhana, rashid),
        )
        _together(
            lambda: self.assessments_and_needs(norhana, rashid),
            lambda: self.tasks(manager, norhana, rashid),
        )

    def people(self) -> None:
        created = _each(
            lambda person: self.admin.post(
                "/api/v1/users",
                {
                    "username": person.username,
                    "password": self.passwords[person.username],
                    "role": person.role.value,
                    "full_name": person.full_name,
                    "email": f"{person.username}@oobc.example.org",
                },
            ),
            PEOPLE,
        )
        for person, user in zip(PEOPLE, created, strict=True):
            self.ids[person.key] = user["id"]

    def member(self, key: str, role: str = "member") -> dict[str, str]:
        return {"user_id": self.ids[key], "role": role}

    def teams_and_resources(self) -> None:
        teams = {
            "planning": (
                "Planning and Budget",
                "Budget calls, PPA formulation and the annual investment plan.",
                [self.member("amina", "lead"), self.member("norhana"), self.member("farida")],
            ),
            "mana": (
                "MANA and Research",
                "Mapping and needs assessments of Bangsamoro communities outside BARMM.",
                [self.member("rashid", "lead"), self.member("jamila"), self.member("norhana")],
            ),
            "coordination": (
                "Coordination and Partnerships",
                "Ministries, LGUs and partners: meetings, consultations and courtesy calls.",
                [self.member("omar", "lead"), self.member("jamila", "coordinator")],
            ),
        }
        resources = {
            "room": ("Conference Room A (2nd floor)", "room", 24, False),
            "van": ("Toyota Hiace van (SAB 4521)", "vehicle", 12, True),
            "projector": ("Epson projector", "equipment", None, False),
        }
        bodies = [
            (key, "/api/v1/teams", {"name": name, "description": text, "members": members})
            for key, (name, text, members) in teams.items()
        ] + [
            (
                key,
                "/api/v1/resources",
                {
                    "name": name,
                    "resource_type": kind,
                    "capacity": capacity,
                    "location": "OOBC office, Cotabato City",
                    "booking_requires_approval": needs_approval,
                },
            )
            for key, (name, kind, capacity, needs_approval) in resources.items()
        ]
        self.create_each(self.admin, bodies)

    def create_each(self, by: Gateway, bodies: list[tuple[str, str, dict[str, Any]]]) -> None:
        """POST each (key, path, body) in parallel; remember the new records' ids by key."""
        records = _each(lambda item: by.post(item[1], item[2]), bodies)
        for (key, _, _), record in zip(bodies, records, strict=True):
            self.ids[key] = record["id"]

    def ppas(self, manager: Gateway) -> None:
        year = self.today.year
        _each(
            lambda ceiling: manager.post(
                "/api/v1/budget-ceilings",
                {"sector": ceiling[0], "fiscal_year": year, "amount": ceiling[1]},
            ),
            (
                ("economic", "25000000"),
                ("social", "18000000"),
                ("infrastructure", "40000000"),
                ("environment", "8000000"),
                ("governance", "6000000"),
                ("peace_security", "9000000"),
            ),
        )
        # key: title, sector, category, status, priority, budget, start, end (days from
        # today), lead, members, approval steps (the admin takes the final approval).
        plans: dict[str, tuple[Any, ...]] = {
            "ppa_halal": (
                "Halal food processing livelihood for Maguindanaon cooperatives",
                "economic",
                "oobc_ppa",
                "ongoing",
                "high",
                "4500000",
                -75,
                210,
                "norhana",
                ["farida"],
                ["technical_review", "budget_review", "executive_approval", "approved"],
            ),
            "ppa_madrasah": (
                "Madrasah teachers' training and accreditation",
                "social",
                "moa_ppa",
                "ongoing",
                "medium",
                "2800000",
                -40,
                150,
                "jamila",
                ["norhana"],
                ["technical_review", "budget_review"],
            ),
            "ppa_road": (
                "Farm-to-market road, Barangay Tamontaka",
                "infrastructure",
                "obc_request",
                "planning",
                "high",
                "12000000",
                30,
                400,
                "omar",
                [],
                [],
            ),
            "ppa_mangrove": (
                "Mangrove rehabilitation in coastal barangays of Lanao del Norte",
                "environment",
                "oobc_ppa",
                "planning",
                "medium",
                "1750000",
                14,
                300,
                "rashid",
                ["jamila"],
                ["technical_review"],
            ),
            "ppa_governance": (
                "Capacity building for barangay officials of OBC communities",
                "governance",
                "oobc_ppa",
                "ongoing",
                "medium",
                "980000",
                -20,
                90,
                "farida",
                ["omar"],
                ["technical_review", "budget_review", "executive_approval"],
            ),
            "ppa_dialogue": (
                "Peace dialogue series with traditional leaders and elders",
                "peace_security",
                "moa_ppa",
                "ongoing",
                "urgent",
                "1500000",
                -10,
                120,
                "rashid",
                ["omar", "norhana"],
                ["technical_review", "budget_review", "executive_approval", "approved"],
            ),
            "ppa_scholarship": (
                "Scholarship grants for OBC college students",
                "social",
                "oobc_ppa",
                "completed",
                "low",
                "3200000",
                -300,
                -15,
                "norhana",
                [],
                ["technical_review", "budget_review", "executive_approval", "approved"],
            ),
            "ppa_solar": (
                "Solar water systems for island communities of Tawi-Tawi",
                "infrastructure",
                "obc_request",
                "on_hold",
                "high",
                "6400000",
                -5,
                365,
                "omar",
                ["farida"],
                ["technical_review", "rejected"],
            ),
        }

        def body(plan: tuple[Any, ...]) -> dict[str, Any]:
            title, sector, category, status, priority, budget, start, end, lead, members, _ = plan
            return {
                "title": title,
                "summary": f"{title}: a demo PPA of the {sector.replace('_', ' ')} sector.",
                "category": category,
                "status": status,
                "priority": priority,
                "sector": sector,
                "appropriation_class": "mooe",
                "funding_source": "gaa" if category == "oobc_ppa" else "block_grant",
                "implementing_office": "Office for Other Bangsamoro Communities",
                "fiscal_year": year,
                "plan_year": year,
                "start_date": self.iso(start),
                "target_end_date": self.iso(end),
                "actual_end_date": self.iso(end) if status == "completed" else None,
                "budget_allocation": budget,
                "lead_id": self.ids[lead],
                "member_ids": [self.ids[member] for member in members],
            }

        self.create_each(
            manager, [(key, "/api/v1/ppas", body(plan)) for key, plan in plans.items()]
        )

        def progress(key: str, steps: list[str]) -> None:
            path = f"/api/v1/ppas/{self.ids[key]}"
            for step in steps:
                approver = self.admin if step in {"approved", "enacted"} else manager
                approver.post(f"{path}/approval", {"to": step, "note": "Demo review"})
            if "approved" in steps:
                manager.call(
                    "PATCH",
                    f"{path}/workflow/budget_call",
                    {"status": "completed", "owner_team_id": self.ids["planning"]},
                )
                manager.call(
                    "PATCH",
                    f"{path}/workflow/formulation",
                    {
                        "status": "in_progress",
                        "owner_team_id": self.ids["planning"],
                        "due_date": self.iso(12),
                    },
                )
                manager.post(
                    f"{path}/milestones",
                    {"title": "Inception meeting", "date": self.iso(-30), "status": "completed"},
                )
                manager.post(
                    f"{path}/milestones", {"title": "Mid-term review", "date": self.iso(45)}
                )
                for tranche, share, offset in (
                    ("allocation", 1, -60),
                    ("obligation", 0.6, -30),
                    ("disbursement", 0.35, -7),
                ):
                    amount = int(int(plans[key][5]) * share)
                    manager.post(
                        f"{path}/funding",
                        {"tranche_type": tranche, "amount": str(amount), "date": self.iso(offset)},
                    )

        _each(lambda item: progress(item[0], item[1][10]), plans.items())

    def assessments_and_needs(self, norhana: Gateway, rashid: Gateway) -> None:
        assessments = {
            "mana_zamboanga": (
                rashid,
                "MANA of Bangsamoro communities in Zamboanga City",
                "survey",
                "data_collection",
                "city_municipal",
                -30,
                20,
                "Zamboanga City",
                "Barangay Rio Hondo",
            ),
            "mana_davao": (
                norhana,
                "Rapid needs assessment, Davao del Sur OBC settlements",
                "kii",
                "planning",
                "provincial",
                10,
                40,
                "Davao del Sur",
                "Digos City",
            ),
            "mana_palawan": (
                rashid,
                "Community profiling of Molbog communities in southern Palawan",
                "participatory",
                "completed",
                "community",
                -120,
                -60,
                "Balabac, Palawan",
                "Molbog community",
            ),
        }
        records = _each(
            lambda spec: spec[0].post(
                "/api/v1/assessments",
                {
                    "title": spec[1],
                    "primary_methodology": spec[2],
                    "status": spec[3],
                    "assessment_level": spec[4],
                    "planned_start_date": self.iso(spec[5]),
                    "planned_end_date": self.iso(spec[6]),
                    "location": spec[7],
                    "community": spec[8],
                },
            ),
            assessments.values(),
        )
        for key, record in zip(assessments, records, strict=True):
            self.ids[key] = record["id"]
        needs: tuple[tuple[Any, ...], ...] = (
            (
                "Access to halal-certified processing equipment",
                "validated",
                "short_term",
                4,
                "mana_zamboanga",
                ["ppa_halal"],
                1200,
            ),
            (
                "Qualified madrasah teachers",
                "prioritized",
                "medium_term",
                3,
                "mana_zamboanga",
                ["ppa_madrasah"],
                3400,
            ),
            (
                "All-weather road to the public market",
                "identified",
                "immediate",
                5,
                "mana_davao",
                ["ppa_road"],
                5600,
            ),
            (
                "Safe drinking water on the islands",
                "planned",
                "immediate",
                5,
                "mana_palawan",
                ["ppa_solar"],
                2100,
            ),
            ("Livelihood for displaced fisherfolk", "identified", "long_term", 3, None, [], 800),
        )
        _each(
            lambda need: norhana.post(
                "/api/v1/needs",
                {
                    "title": need[0],
                    "status": need[1],
                    "urgency_level": need[2],
                    "impact_severity": need[3],
                    "assessment_id": self.ids[need[4]] if need[4] else None,
                    "ppa_ids": [self.ids[ppa] for ppa in need[5]],
                    "affected_population": need[6],
                },
            ),
            needs,
        )

    def events(self, manager: Gateway, norhana: Gateway) -> None:
        everyone = [self.ids[person.key] for person in PEOPLE]
        last_monday = self.day(-self.today.weekday() - 7)
        first_of_month = self.today.replace(day=1)
        second_tuesday = first_of_month + timedelta(days=(1 - first_of_month.weekday()) % 7 + 7)
        events: dict[str, tuple[Gateway, dict[str, Any]]] = {
            "staff_meeting": (
                manager,
                {
                    "title": "Weekly staff meeting",
                    "event_type": "meeting",
                    "status": "scheduled",
                    "start": _office_time(last_monday, 9),
                    "end": _office_time(last_monday, 10),
                    "venue": "Conference Room A",
                    "participant_ids": everyone,
                    "recurrence": {"freq": "weekly", "by_weekday": [1], "count": 26},
                },
            ),
            "moa_coordination": (
                manager,
                {
                    "title": "Monthly MOA coordination meeting",
                    "event_type": "meeting",
                    "status": "confirmed",
                    "start": _office_time(second_tuesday, 14),
                    "end": _office_time(second_tuesday, 16),
                    "venue": "Bangsamoro Government Center, Cotabato City",
                    "participant_ids": [self.ids["omar"], self.ids["jamila"]],
                    # The second Tuesday of every month.
                    "recurrence": {
                        "freq": "monthly",
                        "by_weekday": [2],
                        "by_setpos": [2],
                        "count": 12,
                    },
                },
            ),
            "courtesy_call": (
                manager,
                {
                    "title": "Courtesy call on the Provincial Governor",
                    "event_type": "courtesy_call",
                    "status": "confirmed",
                    "start": _office_time(self.today, 15),
                    "end": _office_time(self.today, 16),
                    "venue": "Provincial Capitol",
                    "organizer_id": self.ids["omar"],
                    "participant_ids": [self.ids["amina"]],
                },
            ),
            "consultation": (
                norhana,
                {
                    "title": "Community consultation in Barangay Rio Hondo",
                    "event_type": "consultation",
                    "status": "planned",
                    "start": _office_time(self.day(3), 13),
                    "end": _office_time(self.day(3), 16),
                    "venue": "Rio Hondo barangay hall, Zamboanga City",
                    "participant_ids": [self.ids["rashid"], self.ids["jamila"]],
                },
            ),
            "field_visit": (
                manager,
                {
                    "title": "Field visit: mangrove planting sites",
                    "event_type": "field_visit",
                    "status": "scheduled",
                    "start": self.iso(8),
                    "end": self.iso(10),  # exclusive: two days
                    "all_day": True,
                    "venue": "Kauswagan, Lanao del Norte",
                    "organizer_id": self.ids["rashid"],
                    "participant_ids": [self.ids["jamila"]],
                },
            ),
            "validation": (
                manager,
                {
                    "title": "MANA validation workshop",
                    "event_type": "workshop",
                    "status": "completed",
                    "start": _office_time(self.day(-6), 8, 30),
                    "end": _office_time(self.day(-6), 17),
                    "venue": "Grand Astoria Hotel, Zamboanga City",
                    "participant_ids": [self.ids["rashid"], self.ids["norhana"]],
                },
            ),
        }
        records = _each(lambda item: item[0].post("/api/v1/events", item[1]), events.values())
        for key, record in zip(events, records, strict=True):
            self.ids[key] = record["id"]

    def bookings_and_leave(self, manager: Gateway, norhana: Gateway, rashid: Gateway) -> None:
        def booking(
            by: Gateway, resource: str, start: tuple[int, int], end: tuple[int, int], notes: str
        ) -> Any:
            """`start` and `end` are (day from today, office hour)."""
            return by.post(
                "/api/v1/bookings",
                {
                    "resource_id": self.ids[resource],
                    "start": _office_time(self.day(start[0]), start[1]),
                    "end": _office_time(self.day(end[0]), end[1]),
                    "notes": notes,
                },
            )

        def leave(by: Gateway, kind: str, start: int, end: int, reason: str) -> Any:
            return by.post(
                "/api/v1/leaves",
                {
                    "leave_type": kind,
                    "start_date": self.iso(start),
                    "end_date": self.iso(end),
                    "reason": reason,
                },
            )

        # Started together; the ones a manager decides are approved below.
        van_trip, _, _, sick, _, _ = _together(
            lambda: booking(rashid, "van", (8, 6), (9, 19), "Field visit to the mangrove sites"),
            lambda: booking(norhana, "van", (3, 9), (3, 18), "Consultation in Rio Hondo"),
            lambda: booking(
                norhana, "room", (1, 13), (1, 15), "Planning session: halal livelihood PPA"
            ),
            lambda: leave(rashid, "sick", -9, -8, "Flu"),
            lambda: leave(norhana, "vacation", 14, 18, "Family visit in Marawi"),
            lambda: leave(rashid, "emergency", 5, 5, "Family matter"),
        )
        _together(
            lambda: manager.post(f"/api/v1/bookings/{van_trip['id']}/approve"),
            lambda: manager.post(f"/api/v1/leaves/{sick['id']}/approve"),
            lambda: manager.post(
                "/api/v1/leaves",
                {
                    "user_id": self.ids["jamila"],
                    "leave_type": "official",
                    "start_date": self.iso(1),
                    "end_date": self.iso(2),
                    "reason": "Training in Manila",
                },
            ),
        )

    def tasks(self, manager: Gateway, norhana: Gateway, rashid: Gateway) -> None:
        # by, title, status, priority, due (days from today), assignees, team, PPA
        specs: tuple[tuple[Any, ...], ...] = (
            (
                manager,
                "Consolidate the budget proposals of all divisions",
                "in_progress",
                "high",
                -3,
                ["norhana", "farida"],
                "planning",
                "ppa_halal",
            ),
            (
                manager,
                "Review the madrasah training curriculum",
                "at_risk",
                "high",
                -1,
                ["jamila"],
                "planning",
                "ppa_madrasah",
            ),
            (
                manager,
                "Prepare the procurement plan for processing equipment",
                "not_started",
                "medium",
                5,
                ["farida"],
                "planning",
                "ppa_halal",
            ),
            (
                manager,
                "Draft the terms of reference for the road feasibility study",
                "not_started",
                "medium",
                12,
                ["omar"],
                None,
                "ppa_road",
            ),
            (
                manager,
                "Submit the quarterly accomplishment report",
                "not_started",
                "critical",
                0,
                ["norhana"],
                "planning",
                None,
            ),
            (
                manager,
                "Approve the mangrove seedling supplier list",
                "completed",
                "medium",
                -4,
                ["amina"],
                None,
                "ppa_mangrove",
            ),
            (
                norhana,
                "Encode the Rio Hondo survey forms",
                "in_progress",
                "medium",
                2,
                ["norhana", "jamila"],
                "mana",
                None,
            ),
            (
                norhana,
                "Book the venue for the consultation",
                "completed",
                "low",
                -2,
                ["norhana"],
                "coordination",
                None,
            ),
            (
                norhana,
                "Send invitations to barangay officials",
                "not_started",
                "high",
                1,
                ["norhana"],
                "coordination",
                None,
            ),
            (
                norhana,
                "Update the OBC community profiles",
                "not_started",
                "low",
                -12,
                ["norhana"],
                "mana",
                None,
            ),
            (
                rashid,
                "Clean the MANA dataset for Zamboanga City",
                "in_progress",
                "high",
                -5,
                ["rashid"],
                "mana",
                None,
            ),
            (
                rashid,
                "Write the validation workshop report",
                "at_risk",
                "high",
                4,
                ["rashid"],
                "mana",
                None,
            ),
            (
                rashid,
                "Coordinate transport for the field visit",
                "not_started",
                "medium",
                6,
                ["rashid", "omar"],
                "coordination",
                None,
            ),
            (
                rashid,
                "File the liquidation of the April travel",
                "completed",
                "medium",
                -15,
                ["rashid"],
                None,
                None,
            ),
            (
                rashid,
                "Read the new BARMM planning guidelines",
                "not_started",
                "low",
                None,
                [],
                None,
                None,
            ),
        )
        created = _each(
            lambda spec: spec[0].post(
                "/api/v1/tasks",
                {
                    "title": spec[1],
                    "status": spec[2],
                    "priority": spec[3],
                    "due_date": None if spec[4] is None else self.iso(spec[4]),
                    "progress": {"completed": 100, "in_progress": 40, "at_risk": 20}.get(
                        spec[2], 0
                    ),
                    "assignee_ids": [self.ids[key] for key in spec[5]],
                    "team_ids": [self.ids[spec[6]]] if spec[6] else [],
                    "related_ppa_id": self.ids[spec[7]] if spec[7] else None,
                    "domain": "mana" if spec[6] == "mana" else "general",
                },
            ),
            specs,
        )
        # The report waits for the cleaned data set.
        report = next(task for task in created if task["title"].startswith("Write the"))
        dataset = next(task for task in created if task["title"].startswith("Clean the"))
        rashid.call(
            "PATCH",
            f"/api/v1/tasks/{report['id']}",
            {"depends_on": [dataset["id"]]},
        )
        # The quarterly report comes back every quarter.
        quarterly = next(task for task in created if task["title"].startswith("Submit the quar"))
        manager.call(
            "PATCH",
            f"/api/v1/tasks/{quarterly['id']}",
            {"repeats": "monthly", "repeat_interval": 3},
        )
