"""Copy the web UI's third-party front-end libraries into ``cairn/ui/static/vendor/``, and the
test suite's into ``tests/ui/vendor/``.

Run by ``make ui-vendor`` on a developer's machine (it needs npm and the npm registry); users never
need Node.js: the copied files are committed and ship inside the wheel. Each library is a pinned
npm version; ``npm pack`` fetches its tarball into a temporary folder, the dist files and the
licence are extracted, and ``checksums.txt`` records the sha256 of every vendored file (a test
checks the committed files against it).

Test-only libraries (axe-core, which the accessibility test injects into each page) go to
``tests/ui/vendor/``: outside the package, so they never ship in the wheel nor are served by Cairn.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "cairn" / "ui" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "ui" / "vendor"

# npm package@version -> {path inside the tarball: vendored file name}
LIBRARIES: dict[str, dict[str, str]] = {
    "htmx.org@2.0.9": {
        "package/dist/htmx.min.js": "htmx.min.js",
        "package/LICENSE": "htmx.LICENSE.txt",
    },
    "uplot@1.6.32": {
        "package/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
        "package/dist/uPlot.min.css": "uPlot.min.css",
        "package/LICENSE": "uPlot.LICENSE.txt",
    },
}


# Used by the test suite only; never copied into the package.
TEST_LIBRARIES: dict[str, dict[str, str]] = {
    "axe-core@4.14.1": {
        "package/axe.min.js": "axe.min.js",
        "package/LICENSE": "axe.LICENSE.txt",
    },
}


def checksum_lines(folder: Path) -> list[str]:
    return [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}"
            for p in sorted(folder.iterdir()) if p.name != "checksums.txt"]


def vendor(folder: Path = VENDOR, libraries: dict[str, dict[str, str]] = LIBRARIES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in libraries.items():
            name = subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / name) as tar:
                for member, target in files.items():
                    source = tar.extractfile(member)
                    if source is None:
                        sys.exit(f"{spec}: {member} is not a file")
                    (folder / target).write_bytes(source.read())
            print(f"vendored {spec}")
    (folder / "checksums.txt").write_text("\n".join(checksum_lines(folder)) + "\n")


if __name__ == "__main__":
    vendor()
    vendor(TEST_VENDOR, TEST_LIBRARIES)
