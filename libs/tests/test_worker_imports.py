"""What an API worker loads at start: only what serving requests needs.

Each worker of every service holds what it imported for as long as it runs; a library only
an occasional request needs (a workbook import, an Excel export) is imported by that request.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from obcms_platform.registry import DEPLOYABLES

# openpyxl brings numpy and Pillow (about 20 MB); xlsxwriter about 2 MB; pygal (the PDFs'
# charts) 2 MB; icalendar (ICS feeds) 3 MB; the tracing SDK only when traces are exported.
# rich and pygments are httpx's command-line client's (3 MB), which no process runs.
LOADED_ON_DEMAND = (
    "rich",
    "pygments",
    "openpyxl",
    "numpy",
    "PIL",
    "xlsxwriter",
    "pygal",
    "icalendar",
    "opentelemetry.sdk.trace",
)

STARTED = """
import importlib, sys
importlib.import_module(sys.argv[1] + ".app").create_app()
print(",".join(name for name in sys.argv[2:] if name in sys.modules))
"""


@pytest.mark.parametrize("package", [deployable.package for deployable in DEPLOYABLES])
def test_an_api_worker_starts_without_the_libraries_of_occasional_requests(package: str) -> None:
    started = subprocess.run(
        [sys.executable, "-c", STARTED, package, *LOADED_ON_DEMAND],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert started.stdout.strip().splitlines()[-1:] in ([], [""]), started.stdout
