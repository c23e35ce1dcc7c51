# /// script
# requires-python = ">=3.13"
# dependencies = ["barangay==2026.10.12.0"]
# ///
"""Write `obcms_platform/psgc/areas.csv.gz`, the PSGC areas the platform knows, from the
`barangay` package's PSGC masterlist (the Philippine Statistics Authority's codes).

Run it when a new PSGC release is wanted (pin the new `barangay` version above first):

    uv run --python 3.13 libs/scripts/generate_psgc.py

Only the package's data file is read (it needs Python 3.13, the platform 3.11, so it is never
a dependency of the platform): regions, provinces (and the Special Geographic Area),
cities and municipalities, sub-municipalities and barangays, one CSV row each: code, parent
code (empty for a region), PSGC type, name; by code, after `#` lines naming the source. Rows,
not one JSON document: the platform reads them one at a time and keeps them in a few compact
arrays. The output is deterministic: the same release gives the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from importlib import metadata
from pathlib import Path

PACKAGE = "barangay"
OUTPUT = Path(__file__).resolve().parents[1] / "src/obcms_platform/psgc/areas.csv.gz"
NO_PARENT = "0000000000"


def main() -> None:
    # Located, not imported: importing the package tries to reach GitHub for newer releases.
    data = Path(str(metadata.distribution(PACKAGE).locate_file(f"{PACKAGE}/data")))
    release = (data / "CURRENT_VERSION").read_text().strip()
    rows = json.loads((data / "barangay_flat.json").read_text(encoding="utf-8"))
    areas = sorted(
        (
            row["psgc_id"],
            "" if row["parent_psgc_id"] == NO_PARENT else row["parent_psgc_id"],
            row["type"],
            row["name"],
        )
        for row in rows
    )
    text = io.StringIO()
    text.write(
        "# Philippine Standard Geographic Code (PSGC), Philippine Statistics Authority, "
        "https://psa.gov.ph/classification/psgc/\n"
        f"# psgc_release: {release}\n"
        f"# via: PyPI package {PACKAGE}=={metadata.version(PACKAGE)} "
        "(https://github.com/bendlikeabamboo/barangay, MIT), its data/barangay_flat.json\n"
    )
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "parent_code", "type", "name"])
    writer.writerows(areas)
    # mtime 0: regenerating the same release leaves the committed file unchanged.
    OUTPUT.write_bytes(gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{OUTPUT}: {len(areas)} areas, PSGC release {release}")


if __name__ == "__main__":
    main()
