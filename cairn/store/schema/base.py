"""The ``MetaData`` every table of the schema joins, and the column lengths several tables share.

Each table module imports these from here (never from the package), so the modules of
``store/schema/`` have no import between them and the package only gathers them.
"""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()

# Limits shared with tracking/validation.py (MLflow's limits).
KEY_LENGTH = 250
PARAM_VALUE_LENGTH = 6000
TAG_VALUE_LENGTH = 8000
NAME_LENGTH = 256
EXPERIMENT_NAME_LENGTH = 500
