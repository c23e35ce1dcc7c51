"""Vendor the gateway's browser libraries from the npm registry.

Fetches pinned npm tarballs, checks each against the registry's published integrity
(sha512), extracts only the files the pages use into
``src/gateway_service/static/vendor/<name>/`` and writes ``VENDORED.md`` (versions,
licences, sources and the sha256 of every vendored file). Standard library only; run it
again after changing a pin (and its integrity, from ``npm view <pkg>@<version>
dist.integrity``). ``--check`` verifies the vendored files against VENDORED.md offline.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import re
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(__file__).resolve().parents[1] / "src" / "gateway_service" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str  # npm package
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    folder: str  # under static/vendor/
    licence: str
    files: tuple[tuple[str, str], ...]  # (path in the tarball, vendored name)

    @property
    def tarball_url(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


PACKAGES = (
    Package(
        name="fullcalendar",
        version="6.1.21",
        integrity="sha512-yGZhflQmfCJKmmOlwJcQ0MPNAYABieaiJp9AaRgHBMRIUxNA+VFa6mkIbVNpjdSZIy9AY2HwteTt58tJ+3ktuQ==",
        folder="fullcalendar",
        licence="MIT",
        files=(
            ("package/index.global.min.js", "index.global.min.js"),
            ("package/LICENSE.md", "LICENSE.md"),
        ),
    ),
    Package(
        name="htmx.org",
        version="2.0.11",
        integrity="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        folder="htmx",
        licence="0BSD",
        files=(("package/dist/htmx.min.js", "htmx.min.js"), ("package/LICENSE", "LICENSE")),
    ),
    Package(
        name="chart.js",
        version="4.6.1",
        integrity="sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g==",
        folder="chartjs",
        licence="MIT",
        files=(
            ("package/dist/chart.umd.min.js", "chart.umd.min.js"),
            ("package/LICENSE.md", "LICENSE.md"),
        ),
    ),
    # The people picker of the event forms.
    Package(
        name="tom-select",
        version="2.6.2",
        integrity="sha512-eiXIkk82XzzUTOVQDFpy+ZGejuqdTvMukyUyeZBQaKnqW42UoTiTZnrod/eX0rkqJEc4rZY9DZ3zdjV07i29wQ==",
        folder="tom-select",
        licence="Apache-2.0",
        files=(
            ("package/dist/js/tom-select.complete.min.js", "tom-select.complete.min.js"),
            ("package/dist/css/tom-select.css", "tom-select.css"),
            ("package/LICENSE", "LICENSE"),
        ),
    ),
    # Named time zones for FullCalendar: the calendar shows the viewer's zone, not the
    # browser's (luxon first, then the connector, which registers itself globally).
    Package(
        name="luxon",
        version="3.7.2",
        integrity="sha512-vtEhXh/gNjI9Yg1u4jX/0YVPMvxzHuGgCm6tC5kZyb08yjGWGnqAjGJvcXbqQR2P3MyMEFnRbpcdFS6PBcLqew==",
        folder="luxon",
        licence="MIT",
        files=(
            ("package/build/global/luxon.min.js", "luxon.min.js"),
            ("package/LICENSE.md", "LICENSE.md"),
        ),
    ),
    Package(
        name="@fullcalendar/luxon3",
        version="6.1.21",
        integrity="sha512-jlRhmxyut94fH7RbdsAexkmR9eJsVeavjVTk94M8GKPiAgEf2q3urFe4rFI5+ThwSTkOX8MPcfFIg8+uvKKZCQ==",
        folder="fullcalendar-luxon3",
        licence="MIT",
        files=(
            ("package/index.global.min.js", "index.global.min.js"),
            ("package/LICENSE.md", "LICENSE.md"),
        ),
    ),
    # Drag and drop of the task board's cards between columns.
    Package(
        name="sortablejs",
        version="1.15.6",
        integrity="sha512-aNfiuwMEpfBM/CN6LY0ibyhxPfPbyFeBTYJKCvzkJ2GkUpazIt3H+QIPAMHwqQ7tMKaHz1Qj+rJJCqljnf4p3A==",
        folder="sortablejs",
        licence="MIT",
        files=(("package/Sortable.min.js", "Sortable.min.js"), ("package/LICENSE", "LICENSE")),
    ),
)


def fetch(package: Package) -> bytes:
    request = urllib.request.Request(package.tarball_url, headers={"User-Agent": "obcms-vendor"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - fixed https URLs
        data: bytes = response.read()
    algorithm, _, expected = package.integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{package.name}@{package.version}: integrity mismatch ({actual})")
    return data


def extract(package: Package, data: bytes) -> dict[str, str]:
    """Write the package's files; returns vendored path -> sha256."""
    target = VENDOR_DIR / package.folder
    target.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member_name, vendored in package.files:
            member = archive.extractfile(member_name)
            if member is None:
                raise SystemExit(f"{package.name}: {member_name} is not a file")
            content = member.read()
            (target / vendored).write_bytes(content)
            digests[f"{package.folder}/{vendored}"] = hashlib.sha256(content).hexdigest()
    return digests


def manifest(digests: dict[str, dict[str, str]]) -> str:
    lines = [
        "# Vendored browser libraries",
        "",
        "Written by `gateway/scripts/vendor_static.py` (`make vendor`); do not edit by hand.",
        "Each tarball was checked against the npm registry's published integrity (sha512).",
        "",
        "| package | version | licence | tarball integrity |",
        "|---|---|---|---|",
    ]
    for package in PACKAGES:
        lines.append(
            f"| [{package.name}]({package.tarball_url}) | {package.version} | "
            f"{package.licence} | `{package.integrity}` |"
        )
    lines += ["", "| file | sha256 |", "|---|---|"]
    for package in PACKAGES:
        for path, digest in digests[package.name].items():
            lines.append(f"| `{path}` | `{digest}` |")
    return "\n".join(lines) + "\n"


def check() -> int:
    """Verify the vendored files against the sha256 sums in VENDORED.md (offline)."""
    text = (VENDOR_DIR / "VENDORED.md").read_text()
    problems = 0
    for path, digest in re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", text, re.M):
        file = VENDOR_DIR / path
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            print(f"MISMATCH {path}", file=sys.stderr)
            problems += 1
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, do not download")
    if parser.parse_args().check:
        return check()
    digests = {}
    for package in PACKAGES:
        print(f"vendoring {package.name}@{package.version}")
        digests[package.name] = extract(package, fetch(package))
    (VENDOR_DIR / "VENDORED.md").write_text(manifest(digests))
    print(f"wrote {VENDOR_DIR / 'VENDORED.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
