"""Time run-context capture in a repository of 1,000 committed files with 5 dirty ones.

    python benchmarks/bench_capture.py

Prints the median and maximum of 10 captures, for the whole capture and for each part alone.
The first capture of the whole context is the cold one (imports, first scan of site-packages)
and usually sets the maximum. Target: the whole capture under 300 ms.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runs from a plain checkout too: capture needs nothing beyond the standard library.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cairn.client.capture import PARTS, CaptureOptions, capture_context  # noqa: E402

FILES = 1000
RUNS = 10
TARGET_MS = 300.0


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.email=bench@example.com", "-c", "user.name=Bench"]
    subprocess.run(
        ["git", *identity, "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def build_repo(root: Path) -> None:
    git(root, "init", "-q")
    for index in range(FILES):
        folder = root / f"pkg{index // 100:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"module{index:04d}.py").write_text(f"VALUE = {index}\n" * 20)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "1,000 files")
    for index in (1, 2, 3):  # unstaged edits
        (root / "pkg00" / f"module{index:04d}.py").write_text("VALUE = 'edited'\n")
    (root / "pkg01" / "module0100.py").write_text("VALUE = 'staged'\n")
    git(root, "add", "pkg01/module0100.py")
    (root / "pkg02" / "scratch.py").write_text("print('untracked')\n")


def time_capture(options: CaptureOptions, cwd: Path) -> list[float]:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        captured = capture_context(options, cwd=cwd, argv=["train.py", "--epochs", "3"])
        timings.append((time.perf_counter() - start) * 1000)
    if options.git:
        assert captured.tags["cairn.git.diff_files"] == "5", captured.tags
    return timings


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cairn-bench-") as tmp:
        repo = Path(tmp)
        build_repo(repo)
        rows = [("all parts", time_capture(CaptureOptions(), repo))]
        for part in PARTS:
            only = CaptureOptions(**{name: name == part for name in PARTS})
            rows.append((f"{part} only", time_capture(only, repo)))

    print(f"capture_context: {FILES} committed files, 5 dirty, {RUNS} runs each")
    print(f"{'capture':<18}{'median ms':>11}{'max ms':>9}")
    for label, timings in rows:
        print(f"{label:<18}{statistics.median(timings):>11.1f}{max(timings):>9.1f}")
    worst = max(rows[0][1])
    verdict = "within" if worst < TARGET_MS else "OVER"
    print(f"slowest full capture {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
