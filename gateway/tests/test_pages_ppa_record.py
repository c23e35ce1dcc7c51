"""The PPA record on the pages, against the real portfolio service: the form's coverage,
partner, beneficiaries, tags, SDGs and results (a round trip, errors beside the fields), the
PPA page saying them in words, the place picker's search, and the list's and dashboard's
filters by region, province, tag and SDG."""

from __future__ import annotations

import re
import uuid

from gateway_helpers import ADMIN_PASSWORD, signed_in, submit

PPAS = "/oobc-management/portfolio/ppas/"
DASHBOARD = "/oobc-management/portfolio/"
PLACES = "/oobc-management/places.json"

MAGUINDANAO_DEL_SUR = "1908800000"
ALONGANAN = "1908807001"  # a barangay of Datu Piang, Maguindanao del Sur
MIDSAYAP = "1204709000"  # a municipality of Cotabato, Region XII
COTABATO = "1204700000"
REGION_XII = "1200000000"


def _marker() -> str:
    return uuid.uuid4().hex[:8]


def _created_id(response) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(
        re.escape(PPAS) + r"([0-9a-f-]{36})/\?saved=created", response.headers["location"]
    )
    assert found, response.headers["location"]
    return found.group(1)


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'id="f-{name}-error">([^<]*)<', page)
    assert found, name
    return found.group(1)


def _listed(client, marker: str, **params: str) -> set[str]:
    page = client.get(PPAS, params={"q": marker, **params})
    assert page.status_code == 200, page.text
    return set(re.findall(rf">((?:Rice|Clinic|Dock) {marker})</a>", page.text))


def test_the_place_picker_searches_every_level_widest_first(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    found = client.get(PLACES, params={"q": "datu piang"})
    assert found.status_code == 200
    places = found.json()
    assert places[0] == {"id": "1908807000", "name": "Datu Piang, Maguindanao del Sur"}
    assert {"id": ALONGANAN, "name": "Alonganan, Datu Piang, Maguindanao del Sur"} in places
    assert len(places) == 17  # the municipality and its 16 barangays
    assert len(client.get(PLACES, params={"q": "poblacion"}).json()) == 30  # at most 30
    assert client.get(PLACES, params={"q": "no such place anywhere"}).json() == []
    anonymous = make_client().get(PLACES, params={"q": "datu"})
    assert anonymous.status_code in (303, 401)


def test_form_round_trip_of_the_record_and_the_page_in_words(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    new_form = client.get(PPAS + "new/").text
    assert "data-place-picker" in new_form
    assert "16 · Peace, justice and strong institutions" in new_form
    assert "GAD-responsive" in new_form

    created = submit(
        client,
        PPAS + "create/",
        {
            "title": f"Rice {marker}",
            "category": "moa_ppa",
            "budget_allocation": "1,000,000",
            "coverage": [ALONGANAN, MIDSAYAP],
            "communities": "Returnee families of Sitio Kalawag",
            "implementing_partner": "Bangsamoro Women Foundation",
            "moa_reference": "MOA-2026-014",
            "moa_date": "2026-02-03",
            "beneficiaries_targeted": "400",
            "beneficiaries_reached": "1,20",
            "tags": ["gad", "peace"],
            "sdgs": ["1", "5"],
            "accomplishments": "Starter kits delivered.",
            "challenges": "Flooding delayed the second batch.",
        },
    )
    ppa = _created_id(created)
    page = client.get(f"{PPAS}{ppa}/").text
    for words in (
        "Alonganan, Datu Piang, Maguindanao del Sur",
        "Midsayap, Cotabato",
        "Returnee families of Sitio Kalawag",
        "Bangsamoro Women Foundation",
        "MOA-2026-014, signed",
        "120 of 400 reached (30 %)",
        "₱2,500.00",
        "GAD-responsive",
        "Supports the peace agenda",
        "SDG 1 · No poverty",
        "SDG 5 · Gender equality",
        "Starter kits delivered.",
        "Flooding delayed the second batch.",
    ):
        assert words in page, words
    assert 'href="#record"' in page

    # The edit form shows it all again; unchecking every tag and clearing the coverage clears
    # them (the form says it carries those inputs).
    edit = client.get(f"{PPAS}{ppa}/edit/").text
    assert re.search(rf'<option value="{ALONGANAN}" selected>Alonganan, Datu Piang', edit)
    assert re.search(r'name="tags" value="gad" checked', edit)
    assert re.search(r'name="sdgs" value="5" checked', edit)
    version = re.search(r'name="version" value="(\d+)"', edit)
    assert version
    saved = submit(
        client,
        f"{PPAS}{ppa}/edit/",
        {
            "version": version.group(1),
            "coverage_shown": "1",
            "tags_shown": "1",
            "sdgs_shown": "1",
            "sdgs": ["16"],
            "beneficiaries_reached": "",
        },
    )
    assert saved.status_code == 303, saved.text
    page = client.get(f"{PPAS}{ppa}/").text
    assert "Alonganan" not in page
    assert "GAD-responsive" not in page
    assert "SDG 16 · Peace, justice and strong institutions" in page
    assert "None reached yet, of 400 targeted" in page
    assert "Bangsamoro Women Foundation" in page  # not sent: unchanged


def test_form_errors_show_beside_the_record_fields(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    refused = submit(
        client,
        PPAS + "create/",
        {
            "title": f"Clinic {marker}",
            "category": "moa_ppa",
            "coverage": [ALONGANAN, "1999999999"],
            "beneficiaries_targeted": "many",
            "moa_date": "someday",
            "tags": ["gender"],
            "sdgs": ["18"],
        },
    )
    assert refused.status_code == 422
    assert "1999999999" in _field_error(refused.text, "coverage")
    assert "whole number" in _field_error(refused.text, "beneficiaries_targeted")
    assert "date" in _field_error(refused.text, "moa_date")
    assert "tags" in _field_error(refused.text, "tags")
    assert "goals" in _field_error(refused.text, "sdgs")
    assert "Please correct the 5 fields marked below." in refused.text
    # What was typed stays: the known place is still chosen, with its name.
    assert re.search(rf'<option value="{ALONGANAN}" selected>Alonganan, Datu Piang', refused.text)
    assert f'value="Clinic {marker}"' in refused.text
    assert _listed(client, marker) == set()


def test_list_and_dashboard_filter_by_province_region_tag_and_sdg(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = _marker()
    for title, fields in (
        ("Rice", {"coverage": [ALONGANAN], "tags": ["gad"], "sdgs": ["2"]}),
        ("Clinic", {"coverage": [MIDSAYAP], "tags": ["gad", "ip"], "sdgs": ["3"]}),
        ("Dock", {"fiscal_year": "2033"}),
    ):
        data = {
            "title": f"{title} {marker}",
            "category": "oobc_ppa",
            "fiscal_year": "2033",
            **fields,
        }
        _created_id(submit(client, PPAS + "create/", data))

    listing = client.get(PPAS, params={"q": marker}).text
    assert f'<option value="{MAGUINDANAO_DEL_SUR}">Maguindanao del Sur, Bangsamoro' in listing
    assert _listed(client, marker, province=MAGUINDANAO_DEL_SUR) == {f"Rice {marker}"}
    assert _listed(client, marker, region=REGION_XII) == {f"Clinic {marker}"}
    assert _listed(client, marker, tag="gad") == {f"Rice {marker}", f"Clinic {marker}"}
    assert _listed(client, marker, tag="ip", sdg="2") == set()
    assert _listed(client, marker, sdg="3") == {f"Clinic {marker}"}
    chosen = client.get(PPAS, params={"q": marker, "province": COTABATO}).text
    assert f'<option value="{COTABATO}" selected>' in chosen
    bad = client.get(PPAS, params={"province": REGION_XII})
    assert bad.status_code == 422
    assert "province" in bad.text

    whole_year = client.get(DASHBOARD, params={"fiscal_year": "2033"}).text
    assert "By Sustainable Development Goal" in whole_year
    assert "By tag" in whole_year
    in_cotabato = client.get(DASHBOARD, params={"fiscal_year": "2033", "province": COTABATO})
    assert in_cotabato.status_code == 200
    kpi = re.search(r"<strong>(\d+)</strong><span>PPAs in FY 2033", in_cotabato.text)
    assert kpi
    assert kpi.group(1) == "1"
    # The breakdown's links keep the dashboard's filters, replacing the one they set.
    assert f"?tag=ip&amp;fiscal_year=2033&amp;province={COTABATO}" in in_cotabato.text
    assert f'<option value="{COTABATO}" selected>' in in_cotabato.text
    # How long without an update makes a PPA stale is the dashboard's own setting, beside its
    # filters: its links to the PPA list leave it out (its report, which lists the stale
    # PPAs, keeps it).
    quieter = client.get(
        DASHBOARD, params={"fiscal_year": "2033", "province": COTABATO, "stale_days": "60"}
    )
    assert "No status update for 60 days or more (0)" in quieter.text
    assert f'?tag=ip&amp;fiscal_year=2033&amp;province={COTABATO}"' in quieter.text
    assert not re.search(r'href="/oobc-management/portfolio/ppas/[^"]*stale_days=', quieter.text)
    assert "report.pdf?fiscal_year=2033&amp;province=" + COTABATO + "&amp;stale_days=60" in (
        quieter.text
    )
    refused = client.get(DASHBOARD, params={"sdg": "18"})
    assert refused.status_code == 422
    assert "sdg" in refused.text
