"""The Philippine Standard Geographic Code: every region, province, city, municipality and
barangay with its code and parent, read from `areas.csv.gz` beside this module (its source
and release are in the file's `#` lines and in README.md; `libs/scripts/generate_psgc.py`
writes it).

A PPA's coverage is a list of these codes at any level. The portfolio service checks them
and stores each with its ancestors (`scope`), so that "PPAs in this province" matches a PPA
covering one of the province's barangays with an array overlap; the gateway's place picker
searches them (`search`). Loaded once per process, on first use.

About 44,000 areas live in every API process that reads them, so they are kept in a few flat
arrays and strings (a few MB) rather than an object each (about 40 MB); an `Area` is made
when one is asked for.
"""

from __future__ import annotations

import csv
import gzip
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import takewhile
from pathlib import Path

from obcms_platform.vocabulary import AreaLevel

DATA_FILE = Path(__file__).with_name("areas.csv.gz")
CODE_PATTERN = r"^[0-9]{10}$"
RELEASE_LINE = "# psgc_release: "
NO_PARENT = -1

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
LEVELS = tuple(AreaLevel)  # widest first: a level is stored as its position here


def folded(text: str) -> str:
    """`text` as searches compare it: case and accents ignored ("Dasmariñas" ~ "dasmarinas")."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class Area:
    """One area: `scope` is its code and its ancestors' codes, itself first, region last;
    `label` its name with its city or municipality and province, unique enough to pick."""

    code: str
    name: str
    level: AreaLevel
    parent_code: str | None
    scope: tuple[str, ...]
    label: str


class Gazetteer:
    """The areas of one PSGC release. Area `i` (in code order) is `codes[i]`, at level
    `LEVELS[levels[i]]`, named by line `i` of `name_text` (from `name_starts[i]`), under area
    `parents[i]`. Searches scan `search_text`, every area's folded label on a line of its
    own, widest level first and then by name; `line_starts[k]` is where line `k` starts and
    `line_areas[k]` the area it is."""

    def __init__(self, release: str, rows: Iterable[tuple[str, str, str, str]]) -> None:
        self.release = release
        self.codes = array("q")
        self.levels = bytearray()
        self.name_starts = array("i")
        parent_codes = array("q")
        names: list[str] = []
        position = 0
        for code, parent, kind, name in rows:
            self.codes.append(int(code))
            parent_codes.append(int(parent) if parent else NO_PARENT)
            self.levels.append(LEVELS.index(LEVEL_OF_TYPE[kind]))
            self.name_starts.append(position)
            names.append(name)
            position += len(name) + 1
        self.name_starts.append(position)
        self.name_text = "\n".join(names)
        del names
        self.parents = array("i", (self._index(code) for code in parent_codes))
        order = sorted(range(len(self.codes)), key=lambda i: folded(self._name(i)))
        order.sort(key=self.levels.__getitem__)
        self.line_areas = array("i", order)
        self.line_starts = array("i")
        lines: list[str] = []
        position = 0
        for index in order:
            line = folded(self._label(index))
            self.line_starts.append(position)
            lines.append(line)
            position += len(line) + 1
        self.search_text = "\n".join(lines)

    def _index(self, code: int) -> int:
        found = bisect_left(self.codes, code)
        if code == NO_PARENT or found == len(self.codes) or self.codes[found] != code:
            return NO_PARENT
        return found

    def _name(self, index: int) -> str:
        return self.name_text[self.name_starts[index] : self.name_starts[index + 1] - 1]

    def _chain(self, index: int) -> Iterator[int]:
        while index != NO_PARENT:
            yield index
            index = self.parents[index]

    def _label(self, index: int) -> str:
        """Its name, then its ancestors' except the region; the region only for an area
        directly under it (a province, a city outside any province)."""
        name, *ancestors = self._chain(index)
        region = LEVELS.index(AreaLevel.REGION)
        parts = [self._name(name), *(self._name(i) for i in ancestors if self.levels[i] != region)]
        if len(parts) == 1 and ancestors:
            parts.append(self._name(ancestors[-1]))
        return ", ".join(parts)

    def _area(self, index: int) -> Area:
        parent = self.parents[index]
        return Area(
            code=f"{self.codes[index]:010d}",
            name=self._name(index),
            level=LEVELS[self.levels[index]],
            parent_code=None if parent == NO_PARENT else f"{self.codes[parent]:010d}",
            scope=tuple(f"{self.codes[i]:010d}" for i in self._chain(index)),
            label=self._label(index),
        )

    def _find(self, code: str) -> int:
        if len(code) != 10 or not code.isdigit():
            return NO_PARENT
        return self._index(int(code))

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._find(code) != NO_PARENT

    def get(self, code: str) -> Area | None:
        index = self._find(code)
        return None if index == NO_PARENT else self._area(index)

    def unknown(self, codes: Iterable[str]) -> list[str]:
        """The codes among `codes` that name no area."""
        return [code for code in codes if code not in self]

    def scope(self, codes: Iterable[str]) -> list[str]:
        """The (known) codes and every ancestor of theirs, sorted: what "covers X" matches."""
        return sorted(
            {f"{self.codes[i]:010d}" for code in codes for i in self._chain(self._find(code))}
        )

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
        wanted = {LEVELS.index(level) for level in levels}
        inside = NO_PARENT if within is None else self._find(within)
        if within is not None and inside == NO_PARENT:
            return []
        found: list[Area] = []
        for line in self._lines(words[0] if words else ""):
            index = self.line_areas[line]
            if wanted and self.levels[index] not in wanted:
                continue
            if within is not None and inside not in list(self._chain(index))[1:]:
                continue
            if all(word in self._line_text(line) for word in words[1:]):
                found.append(self._area(index))
                if len(found) == limit:
                    break
        return found

    def _line_text(self, line: int) -> str:
        following = line + 1
        end = (
            self.line_starts[following] - 1
            if following < len(self.line_starts)
            else len(self.search_text)
        )
        return self.search_text[self.line_starts[line] : end]

    def _lines(self, word: str) -> Iterator[int]:
        """The lines holding `word`, in order (every line for "")."""
        if not word:
            yield from range(len(self.line_starts))
            return
        position = self.search_text.find(word)
        while position != -1:
            line = bisect_right(self.line_starts, position) - 1
            yield line
            following = line + 1
            if following == len(self.line_starts):
                return
            position = self.search_text.find(word, self.line_starts[following])


@cache
def gazetteer() -> Gazetteer:
    """The areas of the data file, read on first use."""
    return load(DATA_FILE)


def load(path: Path) -> Gazetteer:
    """The areas of a data file written by the generator, read a row at a time."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        # The `#` lines, and the CSV header after them (takewhile consumes it).
        header = list(takewhile(lambda line: line.startswith("#"), file))
        release = next(
            line.removeprefix(RELEASE_LINE).strip()
            for line in header
            if line.startswith(RELEASE_LINE)
        )
        rows = ((code, parent, kind, name) for code, parent, kind, name in csv.reader(file))
        return Gazetteer(release, rows)
