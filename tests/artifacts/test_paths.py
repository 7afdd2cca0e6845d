import os
from pathlib import Path

import pytest

from cairn.artifacts.paths import MAX_PATH_LENGTH, clean_relative_path, resolve_under
from cairn.errors import InvalidParameter


@pytest.mark.parametrize(
    ("user_path", "expected"),
    [
        ("a/b/c", "a/b/c"),
        ("a//b/./c", "a/b/c"),
        ("./a/b/", "a/b"),
        ("model.pkl", "model.pkl"),
        ("a b/c%20d.txt", "a b/c%20d.txt"),  # other escapes are plain characters after one decode
        ("dir/..hidden/x..y", "dir/..hidden/x..y"),
        ("ünïcode/файл.txt", "ünïcode/файл.txt"),
    ],
)
def test_clean_relative_path_normalizes_safe_paths(user_path: str, expected: str) -> None:
    assert clean_relative_path(user_path) == expected


@pytest.mark.parametrize("user_path", ["", ".", "./", "./."])
def test_empty_path_means_the_root_when_allowed(user_path: str) -> None:
    assert clean_relative_path(user_path) == ""


@pytest.mark.parametrize("user_path", ["", ".", "./."])
def test_empty_path_is_refused_when_not_allowed(user_path: str) -> None:
    with pytest.raises(InvalidParameter, match="must name a file or directory"):
        clean_relative_path(user_path, allow_empty=False)


@pytest.mark.parametrize(
    ("user_path", "rule"),
    [
        ("..", r"'\.\.' segments"),
        ("../x", r"'\.\.' segments"),
        ("a/../../b", r"'\.\.' segments"),
        ("a/b/..", r"'\.\.' segments"),
        ("/abs", "must be relative"),
        ("/etc/passwd", "must be relative"),
        ("//server/share", "must be relative"),
        ("C:\\x", "backslash"),
        ("C:x", "drive letter"),
        ("c:/windows", "drive letter"),
        ("a/D:/b", "drive letter"),
        ("a\\b", "backslash"),
        ("..\\..\\x", "backslash"),
        ("a\x00b", "control character"),
        ("a\nb", "control character"),
        ("a\x7fb", "control character"),
        ("a?b", "'\\?'"),
        ("a#b", "'#'"),
        ("%2e%2e", "decodes to '.'"),
        ("%2E%2e/x", "decodes to '.'"),
        ("a/%2E%2E/b", "decodes to '.'"),
        ("%252e%252e", "decodes to '%'"),
        ("a%2fb", "decodes to '/'"),
        ("a%2Fb", "decodes to '/'"),
        ("a%5cb", r"decodes to '\\\\'"),
    ],
)
def test_clean_relative_path_refuses_unsafe_forms(user_path: str, rule: str) -> None:
    with pytest.raises(InvalidParameter, match=rule) as info:
        clean_relative_path(user_path)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert info.value.http_status == 400


def test_refusal_of_absolute_path_does_not_echo_it() -> None:
    with pytest.raises(InvalidParameter) as info:
        clean_relative_path("/srv/cairn/secret")
    assert "/srv" not in info.value.message


def test_path_of_exactly_the_limit_is_accepted() -> None:
    assert clean_relative_path("a" * MAX_PATH_LENGTH) == "a" * MAX_PATH_LENGTH


def test_path_over_the_limit_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="limit is 1024"):
        clean_relative_path("a" * (MAX_PATH_LENGTH + 1))


def test_non_string_path_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="must be a string"):
        clean_relative_path(b"a/b")  # type: ignore[arg-type]


def test_resolve_under_returns_a_path_inside_the_root(tmp_path: Path) -> None:
    assert resolve_under(tmp_path, "a//b/./c") == tmp_path.resolve() / "a" / "b" / "c"


def test_resolve_under_maps_empty_path_to_the_root(tmp_path: Path) -> None:
    assert resolve_under(tmp_path, "") == tmp_path.resolve()


def test_resolve_under_refuses_traversal(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match=r"'\.\.' segments"):
        resolve_under(tmp_path / "root", "../outside")


def test_resolve_under_refuses_symlink_escaping_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)

    with pytest.raises(InvalidParameter, match="outside the artifact root") as info:
        resolve_under(root, "link/secret.txt")
    assert str(tmp_path) not in info.value.message


def test_resolve_under_refuses_symlinked_file_pointing_outside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "passwd").write_text("secret")
    (root / "innocent.txt").symlink_to(tmp_path / "passwd")

    with pytest.raises(InvalidParameter, match="outside the artifact root"):
        resolve_under(root, "innocent.txt")


def test_resolve_under_accepts_symlink_that_stays_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real", target_is_directory=True)

    assert resolve_under(root, "alias/x") == root.resolve() / "real" / "x"


def test_resolve_under_works_when_the_root_itself_is_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    linked_root = tmp_path / "linked"
    linked_root.symlink_to(real, target_is_directory=True)

    assert resolve_under(linked_root, "a/b") == real.resolve() / "a" / "b"


def test_resolve_under_refuses_symlink_loop(tmp_path: Path) -> None:
    os.symlink(tmp_path / "loop", tmp_path / "loop")

    with pytest.raises(InvalidParameter, match="cannot be resolved|outside the artifact root"):
        resolve_under(tmp_path, "loop/x")
