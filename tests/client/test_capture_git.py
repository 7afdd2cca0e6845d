"""Code capture against real git repositories built in tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cairn.client.capture import CaptureOptions, CapturedContext, capture_command, capture_context

DIFF = "code/diff.patch"


@pytest.fixture(autouse=True)
def hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The developer's own git config (signing, hooks, default branch) must not leak in,
    # and no repository above tmp_path may be found.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def init_repo(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "project")
    (root / "train.py").write_text("lr = 0.1\nprint(lr)\n")
    (root / "README.md").write_text("# project\n")
    (root / "model.bin").write_bytes(b"\x00\x01weights")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "initial")
    return root


def capture_git(cwd: Path, **caps: int) -> CapturedContext:
    options = CaptureOptions(environment=False, system=False, command=False, **caps)
    return capture_context(options, cwd=cwd)


def patch_of(captured: CapturedContext) -> str:
    return captured.artifacts[DIFF].decode()


def test_clean_repo_records_commit_and_branch_and_is_not_dirty(repo: Path) -> None:
    captured = capture_git(repo)

    assert captured.tags == {
        "cairn.git.available": "true",
        "mlflow.source.git.commit": git(repo, "rev-parse", "HEAD"),
        "mlflow.source.git.branch": "main",
        "cairn.git.dirty": "false",
        "cairn.git.diff_files": "0",
    }
    assert captured.artifacts == {}
    assert captured.notes == []


def test_capture_from_a_subdirectory_describes_the_whole_repository(repo: Path) -> None:
    (repo / "src").mkdir()
    (repo / "README.md").write_text("# changed\n")

    captured = capture_git(repo / "src")

    assert captured.tags["cairn.git.dirty"] == "true"
    assert "+# changed" in patch_of(captured)


@pytest.mark.parametrize(
    ("remote", "recorded"),
    [
        ("https://alice:s3cret@example.com/team/x.git", "https://example.com/team/x.git"),
        ("https://ghp_token@github.com/team/x.git", "https://github.com/team/x.git"),
        ("ssh://git:pw@example.com:2222/team/x.git", "ssh://git@example.com:2222/team/x.git"),
        ("git@github.com:team/x.git", "git@github.com:team/x.git"),
    ],
)
def test_origin_url_is_recorded_without_credentials(repo: Path, remote: str, recorded: str) -> None:
    git(repo, "remote", "add", "origin", remote)

    assert capture_git(repo).tags["mlflow.source.git.repoURL"] == recorded


def test_staged_unstaged_and_untracked_changes_all_appear_in_diff_patch(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.2\nprint(lr)\n")
    git(repo, "add", "train.py")
    (repo / "README.md").write_text("# project\nunstaged line\n")
    (repo / "notes.txt").write_text("untracked idea\n")

    captured = capture_git(repo)

    assert captured.tags["cairn.git.dirty"] == "true"
    assert captured.tags["cairn.git.diff_files"] == "3"
    patch = patch_of(captured)
    assert "+lr = 0.2" in patch
    assert "+unstaged line" in patch
    assert "diff --git a/notes.txt b/notes.txt\nnew file mode 100644" in patch
    assert "+untracked idea" in patch


def test_diff_patch_applied_to_a_clone_of_the_commit_reproduces_the_working_tree(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "train.py").write_text("lr = 0.3\n")
    git(repo, "add", "train.py")
    (repo / "README.md").unlink()
    (repo / "data dir").mkdir()
    (repo / "data dir" / "résumé.txt").write_text("no trailing newline")
    (repo / "empty.txt").write_text("")
    (repo / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (repo / "run.sh").chmod(0o755)
    patch = tmp_path / "diff.patch"
    patch.write_bytes(capture_git(repo).artifacts[DIFF])

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "apply", str(patch))

    assert not (clone / "README.md").exists()
    for name in ("train.py", "data dir/résumé.txt", "empty.txt", "run.sh"):
        assert (clone / name).read_bytes() == (repo / name).read_bytes()
    assert os.access(clone / "run.sh", os.X_OK)


def test_binary_files_are_skipped_with_notes(repo: Path) -> None:
    (repo / "model.bin").write_bytes(b"\x00\x02new weights")
    (repo / "data.bin").write_bytes(b"\x00\xff" * 100)
    (repo / "train.py").write_text("lr = 0.5\n")

    captured = capture_git(repo)

    assert "skipped binary file model.bin" in captured.notes
    assert "skipped binary file data.bin" in captured.notes
    patch = patch_of(captured)
    assert "# note: skipped binary file data.bin" in patch
    assert "Binary files" not in patch
    assert "+lr = 0.5" in patch


def test_files_over_the_per_file_cap_are_skipped_with_notes(repo: Path) -> None:
    (repo / "big.txt").write_text("row\n" * 1000)
    (repo / "README.md").write_text("header\n" * 1000)
    (repo / "small.txt").write_text("kept\n")

    captured = capture_git(repo, file_size_cap=1024)

    assert "skipped big.txt: 4000 bytes is over the 1024-byte file cap" in captured.notes
    assert "skipped README.md: 7000 bytes is over the 1024-byte file cap" in captured.notes
    assert sum("README.md" in note for note in captured.notes) == 1
    patch = patch_of(captured)
    assert "+kept" in patch
    assert "+row" not in patch
    assert "+header" not in patch
    assert "# note: skipped big.txt" in patch


def test_patch_is_capped_at_diff_size_cap_with_a_note(repo: Path) -> None:
    for index in range(5):
        (repo / f"part{index}.txt").write_text(f"line {index}\n" * 60)

    captured = capture_git(repo, diff_size_cap=2000)

    patch = patch_of(captured)
    assert len(captured.artifacts[DIFF]) <= 2000
    left_out = [note for note in captured.notes if "the patch reached its" in note]
    assert left_out
    assert all(f"# note: {note}" in patch for note in left_out)
    assert "+line 0" in patch


def test_outside_a_repository_git_is_recorded_unavailable_without_failing(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()

    captured = capture_git(plain)

    assert captured.tags == {"cairn.git.available": "false"}
    assert captured.notes == ["not a git repository"]


def test_without_git_installed_capture_records_git_unavailable(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))

    captured = capture_git(repo)

    assert captured.tags == {"cairn.git.available": "false"}
    assert captured.notes == ["git is not installed"]


def test_detached_head_records_the_commit_but_no_branch(repo: Path) -> None:
    (repo / "README.md").write_text("# second\n")
    git(repo, "commit", "-q", "-am", "second")
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "checkout", "-q", "--detach", first)

    captured = capture_git(repo)

    assert captured.tags["mlflow.source.git.commit"] == first
    assert "mlflow.source.git.branch" not in captured.tags
    assert "HEAD is detached: no branch recorded" in captured.notes


def test_repository_without_commits_records_branch_and_diffs_against_empty_tree(
    tmp_path: Path,
) -> None:
    root = init_repo(tmp_path / "fresh")
    (root / "staged.py").write_text("print('staged')\n")
    git(root, "add", "staged.py")
    (root / "loose.py").write_text("print('untracked')\n")

    captured = capture_git(root)

    assert "mlflow.source.git.commit" not in captured.tags
    assert captured.tags["mlflow.source.git.branch"] == "main"
    assert captured.tags["cairn.git.dirty"] == "true"
    assert "the repository has no commits yet" in captured.notes
    patch = patch_of(captured)
    assert "+print('staged')" in patch
    assert "+print('untracked')" in patch


def test_source_name_is_the_entry_point_relative_to_the_git_root(repo: Path) -> None:
    (repo / "src").mkdir()
    options = CaptureOptions(git=False, environment=False, system=False)

    captured = capture_context(options, cwd=repo / "src", argv=["train.py", "--lr", "0.1"])

    assert captured.tags["mlflow.source.name"] == "src/train.py"
    assert captured.tags["mlflow.source.type"] == "LOCAL"
    assert captured.tags["cairn.command"] == "train.py --lr 0.1"
    assert captured.tags["cairn.source.cwd"] == "src"  # where cairn reproduce re-runs the command


def test_a_module_run_with_python_m_is_recorded_for_a_rerun(repo: Path) -> None:
    captured = capture_command([str(repo / "pkg" / "train.py"), "--lr", "0.1"], repo, repo,
                               interpreter_argv=["python", "-X", "utf8", "-m", "pkg.train", "--lr", "0.1"])

    assert captured.tags["cairn.source.module"] == "pkg.train"
    assert captured.tags["cairn.source.cwd"] == "."
    assert "cairn.source.module" not in capture_command(["train.py"], repo, repo, ["python", "train.py"]).tags


def test_git_switched_off_records_no_code_tags_or_diff(repo: Path) -> None:
    (repo / "README.md").write_text("# dirty\n")

    captured = capture_context(CaptureOptions(git=False), cwd=repo, argv=["train.py"])

    assert not [key for key in captured.tags if ".git." in key]
    assert not [path for path in captured.artifacts if path.startswith("code/")]


def test_an_embedded_store_and_database_files_are_never_read_into_the_patch(repo: Path) -> None:
    (repo / ".cairn").mkdir()
    (repo / ".cairn" / "cairn.db").write_text("not really sqlite, but never to be opened\n")
    (repo / ".cairn" / "notes.txt").write_text("inside the store\n")
    (repo / "features.sqlite3").write_text("a text file with a database name\n")
    (repo / "new.py").write_text("x = 1\n")
    captured = capture_git(repo)
    patch = patch_of(captured)
    assert "b/new.py" in patch and ".cairn" not in patch and "database name" not in patch
    assert any("skipped database file features.sqlite3" in note for note in captured.notes), captured.notes


@pytest.mark.sqlite_only(reason="SQLite's file locks and write-ahead log inside the repository being captured")
def test_a_run_captured_inside_the_repository_keeps_every_write_of_its_embedded_store(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading the store's files during capture would drop this process's SQLite locks; another
    # process closing the database would then delete the write-ahead log still in use here.
    import sys

    import cairn
    from cairn.client import fluent, tracking_uri

    monkeypatch.chdir(repo)
    monkeypatch.setenv("CAIRN_CAPTURE", "git")
    fluent.set_tracking_uri(repo / ".cairn")
    peek = ("import sqlite3; c = sqlite3.connect('.cairn/cairn.db'); "
            "print(c.execute('select count(*) from runs').fetchone()[0]); c.close()")
    try:
        for _ in range(3):
            with cairn.start_run():
                cairn.log_param("alpha", 1)
            cairn.flush()
            subprocess.run([sys.executable, "-c", peek], cwd=repo, check=True, capture_output=True)
        counted = subprocess.run([sys.executable, "-c", peek], cwd=repo, check=True, capture_output=True, text=True)
        assert counted.stdout.strip() == "3"
    finally:
        fluent.set_tracking_uri(None)
        tracking_uri.close_all()
