"""``import cairn`` imports no framework, ``cairn.autolog()`` imports none either (it patches a
framework when the program imports it), and ``disable=True`` puts the originals back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.store_independent(reason="what `import cairn` and autolog import, checked in a fresh interpreter; no store")

FRAMEWORKS = ["sklearn", "xgboost", "lightgbm", "torch", "lightning", "transformers"]
ROOT = Path(__file__).resolve().parents[2]


def _imported_after(code: str) -> list[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps([m for m in {FRAMEWORKS!r} if m in sys.modules]))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), CAIRN_CAPTURE="none")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_import_cairn_imports_no_framework() -> None:
    assert _imported_after("import cairn") == []


def test_autolog_imports_no_framework_and_patches_one_when_imported() -> None:
    code = (
        "import cairn\n"
        "turned = cairn.autolog()\n"
        "assert turned == ['sklearn', 'xgboost', 'lightgbm', 'lightning', 'transformers'], turned\n"
        "print(json.dumps([m for m in sys.modules if m in ('sklearn', 'xgboost', 'torch')]))\n"
        "from sklearn.linear_model import LinearRegression\n"
        "assert hasattr(LinearRegression.fit, '__cairn_original__')\n"
        "cairn.autolog(disable=True)\n"
        "assert not hasattr(LinearRegression.fit, '__cairn_original__')\n"
    )
    assert _imported_after(code) == ["sklearn"]  # only what the program imported itself


def test_disable_before_import_leaves_the_framework_alone() -> None:
    code = (
        "import cairn\n"
        "cairn.sklearn.autolog()\n"
        "cairn.sklearn.autolog(disable=True)\n"
        "from sklearn.linear_model import LinearRegression\n"
        "assert not hasattr(LinearRegression.fit, '__cairn_original__')\n"
    )
    assert _imported_after(code) == ["sklearn"]
