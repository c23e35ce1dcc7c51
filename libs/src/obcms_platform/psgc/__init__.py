"""The Philippine Standard Geographic Code: every region, province, city, municipality and
barangay with its code and parent, read from `areas.json.gz` beside this module (its source
and release are in the file and in README.md; `libs/scripts/generate_psgc.py` writes it).

A PPA's coverage is a list of these codes at any level. The portfolio service checks them
and stores each with its ancestors (`scope`), so that "PPAs in this province" matches a PPA
covering one of the province's barangays with an array overlap; the gateway's place picker
searches them (`search`). Loaded once per process, on first use (about 44,000 areas).
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from obcms_platform.vocabulary import AreaLevel

DATA_FILE = Path(__file__).with_name("areas.json.gz")
CODE_PATTERN = r"^[0-9]{10}$"

# The PSGC's types of area, by the level they stand at here: a city outside any province
# (highly urbanised, independent component) is a city all the same, and BARMM's Special
# Geographic Area groups municipalities as a province does.
LEVEL_OF_TYPE: dict[str, AreaLevel] = {
    "region": AreaLevel.REGION,
    "province": AreaLevel.PROVINCE,
    "special_geographic_area": AreaLevel.PROVINCE,
    "municipality": AreaLevel.CITY_MUNICIPALITY,
    "component_city": AreaLevel.CITY_MUNICIPALITY,
    "highly_urbanized_city": AreaLevel.CITY_MUNICIPALITY,
    "independent_component_city": AreaLevel.CITY_MUNICIPALITY,
    "submunicipality": AreaLevel.SUBMUNICIPALITY,
    "barangay": AreaLevel.BARANGAY,
}


def folded(text: str) -> str:
    """`text` as searches compare it: case and accents ignored ("Dasmariñas" ~ "dasmarinas")."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class Area:
    """One area: `scope` is its code and its ancestors' codes, itself first, region last."""

    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    scope: tuple[str, ...]
    label: str  # its name with its city or municipality and province: unique enough to pick


@dataclass(frozen=True)
class Gazetteer:
    """The areas of one PSGC release, by code; `searched` is every area with its folded
    label, in the order searches answer (widest level first, then by name)."""

    release: str
    source: str
    areas: dict[str, Area]
    searched: tuple[tuple[Area, str], ...]

    def get(self, code: str) -> Area | None:
        return self.areas.get(code)

    def unknown(self, codes: Iterable[str]) -> list[str]:
        """The codes among `codes` that name no area."""
        return [code for code in codes if code not in self.areas]

    def scope(self, codes: Iterable[str]) -> list[str]:
        """The codes and every ancestor of theirs, sorted: what "covers X" matches on."""
        return sorted({ancestor for code in codes for ancestor in self.areas[code].scope})

    def search(
        self,
        query: str = "",
        *,
        within: str | None = None,
        levels: Iterable[AreaLevel] = (),
        limit: int = 20,
    ) -> list[Area]:
        """Areas whose label contains every word of `query`, inside `within` (an area's
        code) and at `levels` (all when none), widest level first, then by name."""
        words = folded(query).split()
        wanted = frozenset(levels)
        found: list[Area] = []
        for area, name in self.searched:
            if (
                (not wanted or area.level in wanted)
                and (within is None or within in area.scope[1:])
                and all(word in name for word in words)
            ):
                found.append(area)
                if len(found) == limit:
                    break
        return found


def _label(area_names: list[tuple[str, AreaLevel]]) -> str:
    """An area's name, then its ancestors' except the region; the region only for an area
    directly under it (a province, a city outside any province)."""
    (name, _), *ancestors = area_names
    parts = [name, *(each for each, level in ancestors if level != AreaLevel.REGION)]
    if len(parts) == 1 and ancestors:
        parts.append(ancestors[-1][0])
    return ", ".join(parts)


@cache
def gazetteer() -> Gazetteer:
    """The areas of the data file, read on first use."""
    document = json.loads(gzip.decompress(DATA_FILE.read_bytes()))
    rows = {
        code: (name, LEVEL_OF_TYPE[kind], parent) for code, name, kind, parent in document["areas"]
    }

    def chain(code: str) -> list[str]:
        codes = [code]
        while (parent := rows[codes[-1]][2]) is not None:
            codes.append(parent)
        return codes

    areas: dict[str, Area] = {}
    for code, (name, level, parent) in rows.items():
        scope = chain(code)
        label = _label([(rows[each][0], rows[each][1]) for each in scope])
        areas[code] = Area(code, name, level, parent, tuple(scope), label)
    order = list(AreaLevel)
    searched = sorted(
        ((area, folded(area.label)) for area in areas.values()),
        key=lambda pair: (order.index(pair[0].level), pair[1], pair[0].code),
    )
    return Gazetteer(document["psgc_release"], document["source"], areas, tuple(searched))
