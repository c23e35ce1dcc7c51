"""Vendor the gateway's browser libraries from the npm registry.

Fetches pinned npm tarballs, checks each against the registry's published integrity
(sha512), extracts only the files the pages use into
``src/gateway_service/static/vendor/<name>/`` and writes ``VENDORED.md`` (versions,
licences, sources and the sha256 of every vendored file). Standard library only; run it
again after changing a pin in ``vendor_packages.toml`` (and its integrity, from ``npm
view <pkg>@<version> dist.integrity``). ``--check`` verifies the vendored files against
VENDORED.md offline.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import re
import sys
import tarfile
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(__file__).resolve().parents[1] / "src" / "gateway_service" / "static" / "vendor"
PACKAGES_FILE = Path(__file__).with_name("vendor_packages.toml")


@dataclass(frozen=True)
class Package:
    name: str  # npm package
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    folder: str  # under static/vendor/
    licence: str
    files: tuple[str, ...]  # paths in the tarball, vendored under their base names

    @property
    def tarball_url(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


def load_packages() -> tuple[Package, ...]:
    """The pins, declared as data in vendor_packages.toml beside this script."""
    table = tomllib.loads(PACKAGES_FILE.read_text())
    return tuple(Package(**{**entry, "files": tuple(entry["files"])}) for entry in table["package"])


PACKAGES = load_packages()


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
        for member_name in package.files:
            vendored = member_name.rsplit("/", 1)[-1]
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
