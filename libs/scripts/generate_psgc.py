# /// script
# requires-python = ">=3.13"
# dependencies = ["barangay==2026.10.12.0"]
# ///
"""Write `obcms_platform/psgc/areas.json.gz`, the PSGC areas the platform knows, from the
`barangay` package's PSGC masterlist (the Philippine Statistics Authority's codes).

Run it when a new PSGC release is wanted (pin the new `barangay` version above first):

    uv run libs/scripts/generate_psgc.py

Only the package's data file is read (it needs Python 3.13, the platform 3.11, so it is never
a dependency of the platform): regions, provinces (and the Special Geographic Area),
cities and municipalities, sub-municipalities and barangays, each with its code, name, PSGC
type and parent code. The output is deterministic: the same release gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
from importlib import metadata
from pathlib import Path

PACKAGE = "barangay"
OUTPUT = Path(__file__).resolve().parents[1] / "src/obcms_platform/psgc/areas.json.gz"
NO_PARENT = "0000000000"


def main() -> None:
    # Located, not imported: importing the package tries to reach GitHub for newer releases.
    data = Path(str(metadata.distribution(PACKAGE).locate_file(f"{PACKAGE}/data")))
    release = (data / "CURRENT_VERSION").read_text().strip()
    rows = json.loads((data / "barangay_flat.json").read_text(encoding="utf-8"))
    areas = sorted(
        [
            row["psgc_id"],
            row["name"],
            row["type"],
            None if row["parent_psgc_id"] == NO_PARENT else row["parent_psgc_id"],
        ]
        for row in rows
    )
    document = {
        "source": "Philippine Standard Geographic Code (PSGC), Philippine Statistics Authority, "
        "https://psa.gov.ph/classification/psgc/",
        "via": f"PyPI package {PACKAGE}=={metadata.version(PACKAGE)} "
        "(https://github.com/bendlikeabamboo/barangay, MIT), file data/barangay_flat.json",
        "psgc_release": release,
        "columns": ["code", "name", "type", "parent_code"],
        "areas": areas,
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # mtime 0: regenerating the same release leaves the committed file unchanged.
    OUTPUT.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{OUTPUT}: {len(areas)} areas, PSGC release {release}")


if __name__ == "__main__":
    main()
