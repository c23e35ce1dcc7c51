"""The PSGC areas (`obcms_platform.psgc`): the whole release is there, every area under its
parent, and searches answer widest places first, inside an area when asked, in a few MB."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from obcms_platform.psgc import DATA_FILE, gazetteer, load
from obcms_platform.vocabulary import AreaLevel

BARMM = "1900000000"
MAGUINDANAO_DEL_SUR = "1908800000"
DATU_PIANG = "1908807000"
ALONGANAN = "1908807001"


def resident_bytes() -> int:
    """This process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def test_the_release_has_every_area_at_its_level_under_a_known_parent():
    places = gazetteer()
    assert places.release == "2026-10-12"
    levels = Counter(area.level for area in places.search(limit=100_000))
    assert levels == {
        AreaLevel.REGION: 18,
        AreaLevel.PROVINCE: 83,  # 82 provinces and BARMM's Special Geographic Area
        AreaLevel.CITY_MUNICIPALITY: 1643,
        AreaLevel.SUBMUNICIPALITY: 14,
        AreaLevel.BARANGAY: 42010,
    }
    assert len(places) == 43768
    # Every area but a region has a parent, and its scope ends at its region.
    for area in places.search(limit=100_000):
        region = places.get(area.scope[-1])
        assert region is not None
        assert region.level == AreaLevel.REGION, area
        assert (area.parent_code is None) == (area.level == AreaLevel.REGION), area


def test_an_area_is_named_with_its_municipality_and_province():
    barangay = gazetteer().get(ALONGANAN)
    assert barangay is not None
    assert barangay.label == "Alonganan, Datu Piang, Maguindanao del Sur"
    assert barangay.scope == (ALONGANAN, DATU_PIANG, MAGUINDANAO_DEL_SUR, BARMM)
    province = gazetteer().get(MAGUINDANAO_DEL_SUR)
    assert province is not None
    assert province.label == (
        "Maguindanao del Sur, Bangsamoro Autonomous Region In Muslim Mindanao (BARMM)"
    )
    assert gazetteer().get("1999999999") is None
    assert gazetteer().get("19") is None


def test_unknown_codes_and_the_scope_of_a_coverage():
    places = gazetteer()
    assert places.unknown([ALONGANAN, "1999999999", "x", BARMM]) == ["1999999999", "x"]
    assert places.scope([ALONGANAN, DATU_PIANG]) == sorted(
        [ALONGANAN, DATU_PIANG, MAGUINDANAO_DEL_SUR, BARMM]
    )


def test_search_matches_every_word_folded_widest_first_and_inside_an_area():
    places = gazetteer()
    found = [area.label for area in places.search("DATU piang")]
    assert found[0] == "Datu Piang, Maguindanao del Sur"
    assert found[1:3] == [
        "Alonganan, Datu Piang, Maguindanao del Sur",
        "Ambadao, Datu Piang, Maguindanao del Sur",
    ]
    # Accents are ignored either way.
    assert places.search("dasmarinas", levels=[AreaLevel.CITY_MUNICIPALITY])[0].name == (
        "City of Dasmariñas"
    )
    inside = places.search("", within=MAGUINDANAO_DEL_SUR, levels=[AreaLevel.CITY_MUNICIPALITY])
    assert len(inside) == 20  # the limit
    assert all(MAGUINDANAO_DEL_SUR in area.scope for area in inside)
    assert places.search("", within="1999999999") == []
    assert places.search("no such place anywhere") == []


def test_the_areas_take_a_few_megabytes():
    """Every API process reading them holds them: an object each was about 40 MB; the flat
    arrays hold 3 MB, and the process grows by about 10 MB with what the load leaves in the
    allocator."""
    before = resident_bytes()
    loaded = load(DATA_FILE)
    grown = (resident_bytes() - before) / 2**20
    assert len(loaded) == 43768
    assert grown < 25, grown
