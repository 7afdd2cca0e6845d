"""Rebuilding a run's code state in a fresh folder: the recorded commit, checked out with
``git worktree add --detach`` from a local repository that has it (else cloned from the recorded
remote), with the recorded ``code/diff.patch`` applied by ``git apply``.

Refusals say what is missing: git itself, the commit (not in the repository, no remote holds it),
or a patch that no longer applies. The user's repository is only read, plus the worktree entry git
keeps while the checkout exists; ``CodeState.remove`` deletes both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cairn.client.capture.git import find_repo
from cairn.errors import CairnError

from .plan import ReproductionPlan

GIT_TIMEOUT_S = 600.0
_MESSAGE_LINES = 3


class CodeStateRefused(CairnError):
    """The recorded code state cannot be rebuilt: the commit is unreachable or the patch does not apply."""


@dataclass
class CodeState:
    """A checkout of the recorded code: ``root`` (the repository's top) inside ``folder`` (ours to delete)."""

    root: Path
    folder: Path
    source_repo: Path | None
    git: str

    def remove(self) -> None:
        if self.source_repo is not None:
            _git(self.git, self.source_repo, "worktree", "remove", "--force", str(self.root), check=False)
            _git(self.git, self.source_repo, "worktree", "prune", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def rebuild_code(plan: ReproductionPlan, repo: Path | None = None,
                 progress: Callable[[str], None] | None = None) -> CodeState:
    """Check out ``plan.commit`` in a new temporary folder and apply ``plan.patch``.

    ``repo`` is a local checkout that may hold the commit (default: the repository around the
    current directory). ``CodeStateRefused`` when the commit cannot be found or the patch fails.
    """
    say = progress or (lambda line: None)
    commit = plan.commit
    if not commit:
        raise CodeStateRefused(f"Run {plan.run_id} recorded no git commit; its code state cannot be rebuilt.")
    probe = find_repo(Path(repo) if repo is not None else Path.cwd())
    if probe.git is None:
        raise CodeStateRefused("git is not installed; it is needed to rebuild the recorded code state.")
    git = probe.git
    folder = Path(tempfile.mkdtemp(prefix="cairn-reproduce-"))
    root = folder / "code"
    try:
        source = probe.root if probe.root is not None and _has_commit(git, probe.root, commit) else None
        if source is not None:
            say(f"code: checking out {commit[:12]} from {source}")
            _git(git, source, "worktree", "add", "--detach", str(root), commit)
        else:
            _clone(git, plan, probe.root, root, say)
        state = CodeState(root, folder, source, git)
        try:
            _apply_patch(state, plan, say)
        except BaseException:
            state.remove()
            raise
        return state
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def link_outside_data(state: CodeState, plan: ReproductionPlan, original_root: Path | None) -> list[str]:
    """Link each recorded data file that lay inside the original repository but is not in the
    checkout (ignored by git, or too big for the patch) at the same place; returns the paths linked."""
    if original_root is None:
        return []
    linked = []
    for dataset in plan.datasets:
        if dataset.check != "file" or dataset.uri is None:
            continue
        source = Path(dataset.uri)
        try:
            relative = source.resolve().relative_to(original_root.resolve())
        except ValueError:
            continue  # outside the repository: the script reaches it by the same path as before
        target = state.root / relative
        if source.exists() and not target.exists() and not target.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source.resolve(), target_is_directory=source.is_dir())
            linked.append(relative.as_posix())
    return linked


def committed_file(repo: Path | None, commit: str | None, path: str | None) -> str | None:
    """The text of ``path`` at ``commit`` in the local repository (``git show``), or None."""
    probe = find_repo(Path(repo) if repo is not None else Path.cwd())
    if probe.git is None or probe.root is None or not commit or not path:
        return None
    done = _git(probe.git, probe.root, "show", f"{commit}:{path}", check=False)
    return done.stdout if done.returncode == 0 else None


def original_repo_root(repo: Path | None) -> Path | None:
    """The top of the local repository ``rebuild_code`` looks in, or None outside one."""
    return find_repo(Path(repo) if repo is not None else Path.cwd()).root


def _clone(git: str, plan: ReproductionPlan, local: Path | None, root: Path, say: Callable[[str], None]) -> None:
    commit = plan.commit or ""
    where = f"the repository at {local}" if local is not None else "no local repository (run from inside one, or --repo)"
    if not plan.repo_url:
        raise CodeStateRefused(
            f"Commit {commit} of run {plan.run_id} is not in {where}, and the run recorded no remote to clone: "
            "it was deleted or never pushed. Fetch or restore it, or point --repo at a clone that has it.")
    say(f"code: cloning {plan.repo_url} for commit {commit[:12]}")
    cloned = _git(git, root.parent, "clone", "--quiet", "--no-checkout", plan.repo_url, str(root), check=False)
    if cloned.returncode != 0:
        raise CodeStateRefused(
            f"Commit {commit} of run {plan.run_id} is not in {where}, and cloning {plan.repo_url} failed: "
            f"{_first_lines(cloned.stderr)}")
    if not _has_commit(git, root, commit):
        raise CodeStateRefused(
            f"Commit {commit} of run {plan.run_id} is neither in {where} nor on its remote {plan.repo_url}: "
            "it was deleted (rewritten history?) or never pushed.")
    _git(git, root, "checkout", "--quiet", "--detach", commit)


def _apply_patch(state: CodeState, plan: ReproductionPlan, say: Callable[[str], None]) -> None:
    if not plan.patch:
        return
    patch_file = state.folder / "diff.patch"
    patch_file.write_text(plan.patch, encoding="utf-8")
    say(f"code: applying the recorded patch ({plan.patch_bytes} bytes)")
    done = _git(state.git, state.root, "apply", "--whitespace=nowarn", str(patch_file), check=False)
    if done.returncode != 0:
        raise CodeStateRefused(
            f"The recorded patch of run {plan.run_id} does not apply on commit {plan.commit}: "
            f"{_first_lines(done.stderr)}. The recorded diff and the commit disagree (was the patch cut?).")


def _has_commit(git: str, repo: Path, commit: str) -> bool:
    return _git(git, repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0


def _git(git: str, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run([git, *args], cwd=cwd, env=env, capture_output=True, text=True, errors="replace",
                              timeout=GIT_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CodeStateRefused(f"git {args[0]} did not finish within {GIT_TIMEOUT_S:.0f} s") from None
    if check and done.returncode != 0:
        raise CodeStateRefused(f"git {args[0]} failed: {_first_lines(done.stderr)}")
    return done


def _first_lines(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[:_MESSAGE_LINES]) or "no message"

