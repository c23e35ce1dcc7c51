"""The time zones a person chooses from: the tz database's own list of its zones, by country
(``zone.tab``, shipped with tzdata), and UTC. The database's other names are aliases kept for
old software ("Africa/Asmera", "Africa/Timbuktu", "Asia/Calcutta"): still read (an event
stored with one keeps it), never offered. The usual zones come first: the ones asked for (the
office's, the viewer's, the record's own) and the office's neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from obcms_platform.zones import OFFICE_TIMEZONE

# The office's neighbours (Southeast Asia, ISO 3166 codes): their zones are offered first.
NEIGHBOUR_COUNTRIES = frozenset({"PH", "BN", "ID", "KH", "LA", "MM", "MY", "SG", "TH", "TL", "VN"})
WITHOUT_COUNTRY = ("UTC",)


@cache
def _zone_table() -> tuple[tuple[str, str], ...]:
    """(country code, zone) of every line of tzdata's ``zone.tab``."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    rows = []
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _, zone, *_ = line.split("\t")
            rows.append((country, zone))
    return tuple(rows)


@cache
def world_zones() -> tuple[str, ...]:
    """Every zone offered, by name."""
    return tuple(sorted({zone for _, zone in _zone_table()} | set(WITHOUT_COUNTRY)))


@dataclass(frozen=True)
class ZoneChoices:
    usual: tuple[str, ...]  # first, in this order
    others: tuple[str, ...]  # the rest of the world's, by name


def zone_choices(*first: str | None) -> ZoneChoices:
    """The usual zones (`first` in its order, then the office's and its neighbours', by
    name) and the others. A zone of `first` that is an alias is kept: it is what the record
    has."""
    neighbours = sorted(zone for country, zone in _zone_table() if country in NEIGHBOUR_COUNTRIES)
    usual = tuple(dict.fromkeys(zone for zone in (*first, OFFICE_TIMEZONE, *neighbours) if zone))
    chosen = set(usual)
    return ZoneChoices(usual, tuple(zone for zone in world_zones() if zone not in chosen))
