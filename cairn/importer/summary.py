"""What an import did, per kind of thing: how many were copied, how many were already there, and
which failed and why (plus notes on what was copied with an adjustment)."""

from __future__ import annotations

from dataclasses import dataclass, field

EXPERIMENTS = "experiments"
LOGGED_MODELS = "logged models"
RUNS = "runs"
METRIC_POINTS = "metric points"
ARTIFACTS = "artifacts"
REGISTERED_MODELS = "registered models"
MODEL_VERSIONS = "model versions"
ALIASES = "aliases"
KINDS = (EXPERIMENTS, LOGGED_MODELS, RUNS, METRIC_POINTS, ARTIFACTS, REGISTERED_MODELS, MODEL_VERSIONS, ALIASES)

COPIED, PRESENT, FAILED = "copied", "present", "failed"


@dataclass
class Tally:
    copied: int = 0
    present: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


@dataclass
class Summary:
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, what, note)

    def copied(self, kind: str, count: int = 1) -> None:
        self.tallies[kind].copied += count

    def present(self, kind: str, count: int = 1) -> None:
        self.tallies[kind].present += count

    def failed(self, kind: str, what: str, why: str) -> None:
        self.tallies[kind].failures.append((what, " ".join(why.split())))

    def note(self, kind: str, what: str, note: str) -> None:
        self.notes.append((kind, what, note))

    @property
    def failure_count(self) -> int:
        return sum(len(t.failures) for t in self.tallies.values())
