"""``make demo`` / ``python -m cairn.demo``: Cairn on real training runs, in the embedded store
(./.cairn), from training to a rollback in production.

The steps, each its own module: ``training`` (three scikit-learn runs with params, curves, a plot,
a model package and their data), ``registry`` (gates, promotion, a refused version, rollback),
``datasets`` (a profile, a diff with a data change, lineage), ``serving`` (canary and shadow
traffic, the arms compared, a promotion and a rollback picked up without a restart) and
``reproduce`` (the Production version's run re-run from what it recorded, and the verdict).

The demo is a user of Cairn, not a part of it. It logs and acts through the SDK (``cairn.client``)
and shows each result by running the real ``cairn`` command in a subprocess, its command line
printed first (``commands.show``). So what it prints is exactly what a user gets by typing the
same line, the lines double as a walkthrough, and the demo never reaches into the CLI's internals:
``demo/`` sits just below ``cli/`` in the layers and does not import it (nor the ``cairn`` package
face above both; the SDK it re-exports lives in ``cairn.client``). Nothing else imports the demo.
"""
