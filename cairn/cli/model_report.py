"""``cairn models report``: a model version's dossier as a self-contained HTML file for a
model-risk review, and as PDF through Chromium's print.

It builds the same dossier, through the command's ``Client`` (embedded store or server), and the
same HTML as the web UI's ``models/<name>/versions/<n>/report`` page. The PDF is Chromium's
headless ``--print-to-pdf`` of that file: no network, a throwaway profile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from cairn.cli.options import NameArgument, VersionArgument
from cairn.cli.output import client
from cairn.errors import CairnError

CHROMIUM_ENV = "CAIRN_CHROMIUM"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer")
PRINT_TIMEOUT_S = 120


def report(
    ctx: typer.Context,
    name: NameArgument,
    version: VersionArgument,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="FILE", help="Write the HTML report here (default: stdout, unless --pdf).")] = None,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", metavar="FILE", help="Also print the report to this PDF file with Chromium.")] = None,
) -> None:
    """Write a model version's report for a model-risk review: what went into it, slice metrics,
    gates and approvals, production timeline and lineage, as one self-contained HTML file.

    \b
    Example:
      cairn models report churn 3 --out churn-v3.html --pdf churn-v3.pdf
    """
    from cairn.client.tracking_uri import get_tracking_uri
    from cairn.tracking.clock import now_ms
    from cairn.ui.assets import Assets
    from cairn.ui.model_report import render_report
    from cairn.ui.templating import Pages
    from cairn.ui.version_dossier import build_dossier

    chromium = find_chromium() if pdf is not None else None
    c = client(ctx)
    dossier = build_dossier(c, name, version)
    uri = getattr(ctx.find_root().obj, "tracking_uri", None) or get_tracking_uri()
    is_server = uri.startswith(("http://", "https://"))
    html = render_report(Pages(Assets()).env, dossier, base=uri.rstrip("/") + "/" if is_server else None,
                         origin=f"the Cairn server at {uri}" if is_server else f"the store {uri}", now=now_ms())
    if out is not None:
        out.write_text(html, encoding="utf-8")
        typer.echo(f"Wrote {out}", err=True)
    elif pdf is None:
        sys.stdout.write(html)
    if pdf is not None and chromium is not None:
        print_pdf(chromium, html, pdf)
        typer.echo(f"Wrote {pdf}", err=True)


def find_chromium() -> str:
    """Chromium's path (``CAIRN_CHROMIUM``, else the usual names); ``CairnError`` saying what to
    install when there is none."""
    named = os.environ.get(CHROMIUM_ENV)
    for candidate in ((named,) if named else CHROMIUM_CANDIDATES):
        found = shutil.which(candidate)
        if found:
            return found
    raise CairnError(
        "--pdf prints the report with Chromium, which is not installed here"
        + (f" (nothing runs at {CHROMIUM_ENV}={named})" if named else "")
        + ". Install it (Debian/Ubuntu: `apt-get install chromium`; macOS: `brew install --cask chromium`) "
        f"or point {CHROMIUM_ENV} at a Chrome or Chromium binary; or write HTML with --out and print it "
        "from a browser."
    )


def print_pdf(chromium: str, html: str, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` with headless Chromium, in a private profile with no network use."""
    with tempfile.TemporaryDirectory(prefix="cairn-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = pdf.absolute()
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
                   f"--print-to-pdf={target}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=PRINT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise CairnError(f"Chromium did not print the report within {PRINT_TIMEOUT_S} s.") from None
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise CairnError(f"Chromium could not print the report to {pdf} (exit {done.returncode}: {detail[0]}).")
