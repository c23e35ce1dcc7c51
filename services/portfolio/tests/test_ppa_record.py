"""The original's PPA record: coverage in PSGC codes, partner and MOA, beneficiaries, tags,
SDGs, accomplishments and challenges; their checks, their filters in the list and the
dashboard, and their history."""

from __future__ import annotations

from typing import Any

from obcms_platform.testing import assert_error, wrongly_refused
from obcms_platform.testing.concurrent_writes import one_concurrent_change_wins

from .helpers import DASHBOARD, PPAS, create_ppa, get_ppa

BARMM = "1900000000"
REGION_XII = "1200000000"
MAGUINDANAO_DEL_SUR = "1908800000"
DATU_PIANG = "1908807000"  # a municipality of Maguindanao del Sur
ALONGANAN = "1908807001"  # a barangay of Datu Piang
BASILAN = "1900700000"
COTABATO = "1204700000"  # a province of Region XII
MIDSAYAP = "1204709000"  # a municipality of Cotabato

RECORD: dict[str, Any] = {
    "coverage": [ALONGANAN, MIDSAYAP],
    "communities": "Sitio Kalawag; returnee families of Barangay Alonganan",
    "implementing_partner": "Bangsamoro Women Foundation",
    "moa_reference": "MOA-2026-014",
    "moa_date": "2026-02-03",
    "beneficiaries_targeted": 400,
    "beneficiaries_reached": 120,
    "tags": ["peace", "gad"],
    "sdgs": [16, 5, 1, 5],
    "accomplishments": "Starter kits delivered to 120 families.",
    "challenges": "Flooding delayed the second batch.",
    "budget_allocation": 1000000,
}


def patch(client, caller, ppa_id: str, body: Any, **headers: str) -> Any:
    return client.patch(f"{PPAS}/{ppa_id}", json=body, headers={**caller.headers, **headers})


def listed(client, caller, **params: Any) -> list[str]:
    response = client.get(PPAS, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return sorted(item["title"] for item in response.json()["items"])


def test_the_record_reads_back_with_places_named_and_cost_per_beneficiary(client, staff):
    ppa = create_ppa(client, staff, title="Livelihood", **RECORD)
    stored = get_ppa(client, staff, ppa["id"])
    assert stored == ppa
    assert stored["coverage"] == [ALONGANAN, MIDSAYAP]
    assert stored["coverage_areas"] == [
        {
            "code": ALONGANAN,
            "name": "Alonganan",
            "level": "barangay",
            "label": "Alonganan, Datu Piang, Maguindanao del Sur",
        },
        {
            "code": MIDSAYAP,
            "name": "Midsayap",
            "level": "city_municipality",
            "label": "Midsayap, Cotabato",
        },
    ]
    # Tags in the vocabulary's order, goals by number, each once.
    assert stored["tags"] == ["gad", "peace"]
    assert stored["sdgs"] == [1, 5, 16]
    assert stored["cost_per_beneficiary"] == 2500.0
    for name in (
        "communities",
        "implementing_partner",
        "moa_reference",
        "moa_date",
        "beneficiaries_targeted",
        "beneficiaries_reached",
        "accomplishments",
        "challenges",
    ):
        assert stored[name] == RECORD[name], name


def test_a_new_ppa_has_an_empty_record(client, staff):
    ppa = create_ppa(client, staff)
    assert ppa["coverage"] == ppa["coverage_areas"] == ppa["tags"] == ppa["sdgs"] == []
    assert ppa["communities"] == ppa["implementing_partner"] == ppa["moa_reference"] == ""
    assert ppa["moa_date"] is ppa["beneficiaries_targeted"] is ppa["cost_per_beneficiary"] is None


def test_cost_per_beneficiary_follows_budget_and_target(client, staff):
    ppa = create_ppa(client, staff, budget_allocation=1000, beneficiaries_targeted=3)
    assert ppa["cost_per_beneficiary"] == 333.33
    version = ppa["version"]
    changed = patch(client, staff, ppa["id"], {"beneficiaries_targeted": 0})
    assert changed.status_code == 200, changed.text
    assert changed.json()["cost_per_beneficiary"] is None  # no one targeted: no cost per head
    changed = patch(client, staff, ppa["id"], {"beneficiaries_targeted": 8})
    assert changed.json()["cost_per_beneficiary"] == 125.0
    cleared = patch(client, staff, ppa["id"], {"budget_allocation": None})
    assert cleared.json()["cost_per_beneficiary"] is None
    assert cleared.json()["version"] == version + 3


def test_invalid_record_fields_are_422_naming_the_field(client, staff):
    cases = [
        ({"coverage": ["1999999999"]}, "coverage"),  # well formed, no such area
        ({"coverage": [ALONGANAN, "0000000001"]}, "coverage"),
        ({"coverage": ["19088"]}, "coverage"),
        ({"coverage": "1908807001"}, "coverage"),
        ({"coverage": [ALONGANAN] * 501}, "coverage"),
        ({"beneficiaries_targeted": -1}, "beneficiaries_targeted"),
        ({"beneficiaries_reached": 2_000_000_001}, "beneficiaries_reached"),
        ({"beneficiaries_reached": 1.5}, "beneficiaries_reached"),
        ({"tags": ["gender"]}, "tags"),
        ({"tags": "gad"}, "tags"),
        ({"sdgs": [0]}, "sdgs"),
        ({"sdgs": [18]}, "sdgs"),
        ({"sdgs": ["five"]}, "sdgs"),
        ({"moa_date": "2026-02-30"}, "moa_date"),
        ({"moa_date": "1066-10-14"}, "moa_date"),
        ({"implementing_partner": "x" * 256}, "implementing_partner"),
        ({"moa_reference": "x" * 256}, "moa_reference"),
        ({"accomplishments": "x" * 20_001}, "accomplishments"),
        ({"challenges": "bad\x00text"}, "challenges"),
        ({"communities": "x" * 20_001}, "communities"),
    ]

    def create(body: dict[str, Any]) -> Any:
        return client.post(
            PPAS, json={"title": "t", "category": "oobc_ppa", **body}, headers=staff.headers
        )

    ppa = create_ppa(client, staff)
    assert wrongly_refused(cases, create) == []
    assert wrongly_refused(cases, lambda body: patch(client, staff, ppa["id"], body)) == []
    error = assert_error(create({"coverage": [ALONGANAN, "1999999999"]}), 422, "coverage")
    assert "1999999999" in error["message"]
    # Nothing was stored by the refusals.
    assert get_ppa(client, staff, ppa["id"])["version"] == 1


def test_null_clears_the_optional_numbers_and_date_but_not_the_lists(client, staff):
    ppa = create_ppa(client, staff, **RECORD)
    cleared = patch(
        client,
        staff,
        ppa["id"],
        {"moa_date": None, "beneficiaries_targeted": None, "beneficiaries_reached": None},
    )
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert (
        body["moa_date"] is body["beneficiaries_targeted"] is body["beneficiaries_reached"] is None
    )
    for name in ("coverage", "tags", "sdgs", "communities"):
        assert_error(patch(client, staff, ppa["id"], {name: None}), 422, name)
    emptied = patch(client, staff, ppa["id"], {"coverage": [], "tags": [], "sdgs": []})
    assert emptied.json()["coverage_areas"] == emptied.json()["sdgs"] == []


def test_coverage_change_moves_the_ppa_between_province_filters(client, staff):
    ppa = create_ppa(client, staff, title="Moving", coverage=[ALONGANAN])
    assert listed(client, staff, province=MAGUINDANAO_DEL_SUR) == ["Moving"]
    changed = patch(client, staff, ppa["id"], {"coverage": [MIDSAYAP]}, **{"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert listed(client, staff, province=MAGUINDANAO_DEL_SUR) == []
    assert listed(client, staff, province=COTABATO) == ["Moving"]
    assert listed(client, staff, region=REGION_XII) == ["Moving"]
    assert_error(patch(client, staff, ppa["id"], {"coverage": []}, **{"If-Match": '"1"'}), 412)


def seed_for_filters(client, caller) -> None:
    create_ppa(client, caller, title="Barangay only", coverage=[ALONGANAN], tags=["gad"], sdgs=[5])
    create_ppa(client, caller, title="Municipality", coverage=[DATU_PIANG], tags=["ccet"])
    create_ppa(client, caller, title="Province", coverage=[MAGUINDANAO_DEL_SUR], tags=["gad", "ip"])
    create_ppa(client, caller, title="Region", coverage=[BARMM], sdgs=[1, 16])
    create_ppa(client, caller, title="Basilan", coverage=[BASILAN], tags=["peace"], sdgs=[16])
    create_ppa(client, caller, title="Midsayap", coverage=[MIDSAYAP], sdgs=[5], tags=["gad"])
    create_ppa(client, caller, title="Nowhere")


def test_list_filters_by_region_province_tag_and_sdg(client, staff):
    seed_for_filters(client, staff)
    # A province matches the PPAs covering it or any place inside it, not the whole region.
    assert listed(client, staff, province=MAGUINDANAO_DEL_SUR) == [
        "Barangay only",
        "Municipality",
        "Province",
    ]
    assert listed(client, staff, region=BARMM) == [
        "Barangay only",
        "Basilan",
        "Municipality",
        "Province",
        "Region",
    ]
    assert listed(client, staff, region=REGION_XII) == ["Midsayap"]
    # Repeated values are any of them; different filters all of them.
    assert listed(client, staff, province=[BASILAN, COTABATO]) == ["Basilan", "Midsayap"]
    assert listed(client, staff, tag="gad") == ["Barangay only", "Midsayap", "Province"]
    assert listed(client, staff, tag=["ccet", "peace"]) == ["Basilan", "Municipality"]
    assert listed(client, staff, sdg=16) == ["Basilan", "Region"]
    assert listed(client, staff, sdg=5, region=BARMM) == ["Barangay only"]
    assert listed(client, staff, tag="gad", province=MAGUINDANAO_DEL_SUR, sdg=5) == [
        "Barangay only"
    ]


def test_bad_filters_are_422_naming_the_filter(client, staff):
    cases = [
        ({"province": "1999999999"}, "province"),
        ({"province": BARMM}, "province"),  # a region is not a province
        ({"province": DATU_PIANG}, "province"),
        ({"region": MAGUINDANAO_DEL_SUR}, "region"),
        ({"region": "BARMM"}, "region"),
        ({"tag": "gender"}, "tag"),
        ({"sdg": 18}, "sdg"),
        ({"sdg": "x"}, "sdg"),
    ]
    assert (
        wrongly_refused(
            cases, lambda params: client.get(PPAS, params=params, headers=staff.headers)
        )
        == []
    )
    assert (
        wrongly_refused(
            cases, lambda params: client.get(DASHBOARD, params=params, headers=staff.headers)
        )
        == []
    )


def dashboard(client, caller, **params: Any) -> dict[str, Any]:
    response = client.get(DASHBOARD, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_dashboard_breaks_down_by_sdg_and_tag_and_filters_by_province(client, staff):
    seed_for_filters(client, staff)
    create_ppa(
        client,
        staff,
        title="Counted",
        coverage=[ALONGANAN],
        beneficiaries_targeted=400,
        beneficiaries_reached=150,
        budget_allocation=2000,
    )
    everything = dashboard(client, staff)
    assert everything["total_ppas"] == 8
    assert everything["by_tag"] == {"gad": 3, "ccet": 1, "ip": 1, "peace": 1}
    expected_goals = {str(goal): 0 for goal in range(1, 18)} | {"1": 1, "5": 2, "16": 2}
    assert everything["by_sdg"] == expected_goals
    assert everything["beneficiaries"] == {"targeted": 400, "reached": 150}

    province = dashboard(client, staff, province=MAGUINDANAO_DEL_SUR)
    assert province["total_ppas"] == 4
    assert province["by_tag"] == {"gad": 2, "ccet": 1, "ip": 1, "peace": 0}
    assert (province["by_sdg"]["5"], province["by_sdg"]["16"]) == (1, 0)
    assert province["budget"]["budget_allocation"] == 2000.0
    assert province["beneficiaries"] == {"targeted": 400, "reached": 150}

    tagged = dashboard(client, staff, tag="gad", sdg=5)
    assert tagged["total_ppas"] == 2
    assert dashboard(client, staff, region=REGION_XII, tag="peace")["total_ppas"] == 0
    assert dashboard(client, staff, fiscal_year=2026, province=BASILAN)["total_ppas"] == 0


def test_record_changes_are_in_the_history_without_the_derived_scope(client, staff):
    ppa = create_ppa(client, staff, coverage=[ALONGANAN])
    changed = patch(client, staff, ppa["id"], {"coverage": [MIDSAYAP], "sdgs": [2]})
    assert changed.status_code == 200, changed.text
    history = client.get(f"{PPAS}/{ppa['id']}/history", headers=staff.headers)
    assert history.status_code == 200, history.text
    latest = history.json()["items"][0]
    changed_fields = {change["field"]: change for change in latest["changes"]}
    assert set(changed_fields) == {"coverage", "sdgs"}
    assert changed_fields["coverage"]["old"] == [ALONGANAN]
    assert changed_fields["coverage"]["new"] == [MIDSAYAP]


def test_someone_who_does_not_own_the_ppa_cannot_change_its_record(client, staff, other_staff):
    ppa = create_ppa(client, staff)
    assert_error(patch(client, other_staff, ppa["id"], {"tags": ["gad"]}), 403)
    assert get_ppa(client, staff, ppa["id"])["tags"] == []


def test_concurrent_coverage_changes_of_one_version_exactly_one_wins(client, staff):
    ppa = create_ppa(client, staff)
    winner, losers = one_concurrent_change_wins(
        lambda change: patch(client, staff, ppa["id"], change, **{"If-Match": '"1"'}),
        [{"coverage": [code]} for code in (ALONGANAN, MIDSAYAP, BASILAN)],
    )
    assert [response.status_code for response in losers] == [412, 412]
    winning = winner.json()["coverage"]
    assert get_ppa(client, staff, ppa["id"])["coverage"] == winning
    province = {ALONGANAN: MAGUINDANAO_DEL_SUR, MIDSAYAP: COTABATO, BASILAN: BASILAN}
    assert len(listed(client, staff, province=province[winning[0]])) == 1
