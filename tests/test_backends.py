"""The suite runs on the store it is asked for (``CAIRN_TEST_STORE``), or not at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import backends
from tests.servers import postgres

ROOT = Path(__file__).resolve().parents[1]


def test_the_stores_of_the_suite_are_on_the_chosen_backend(db, tmp_path):
    expected = "postgresql" if backends.on_postgres() else "sqlite"
    assert db.engine.dialect.name == expected
    uri, _ = backends.new_store(tmp_path)
    assert uri.startswith(expected)
    backends.drop_store(uri)


def test_postgresql_asked_for_but_not_installed_stops_the_session_naming_the_install_command(tmp_path):
    env = {**os.environ, backends.ENV_STORE: backends.POSTGRESQL, postgres.ENV_BIN: str(tmp_path / "no-bin")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/store/test_store_urls.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "passed" not in done.stdout
    assert "apt-get install -y postgresql" in done.stdout + done.stderr


def test_an_unknown_store_choice_stops_the_session(tmp_path):
    env = {**os.environ, backends.ENV_STORE: "mysql"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/store/test_store_urls.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and "use sqlite or postgresql" in done.stdout + done.stderr
