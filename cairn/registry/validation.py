"""Checks on what callers name in the registry: model names, versions, stages, aliases, tags,
free text. Pure functions raising ``InvalidParameter`` before anything is written; the rules and
limits are MLflow's, so a name MLflow accepts is accepted here and the other way round.
"""

from __future__ import annotations

import json
import posixpath
import re

from cairn.entities import ModelStage
from cairn.errors import InvalidParameter
from cairn.tracking.validation import control_character_in, invalid_value, validate_key

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_TAG_VALUE_LENGTH = 100_000
MAX_TEXT_LENGTH = 5000
MAX_RUN_LINK_LENGTH = 1000
# Version numbers are 32-bit integers in the store (as in MLflow's SQL store): a larger number
# names no version on any backend, and PostgreSQL refuses to compare it with the column.
MAX_VERSION = 2**31 - 1

_ALIAS = re.compile(r"[\w\-]+")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
_STAGES = {stage.value.lower(): stage for stage in ModelStage}


def validate_model_name(name: object, field: str = "name") -> str:
    """A registered model name as callers may look one up."""
    if name is not None and not isinstance(name, str):
        raise invalid_value(field, name, "a registered model name must be a string.")
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter(
            f"Missing value for required parameter '{field}'. A registered model name must be a non-empty string."
        )
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise invalid_value(
            field, name, f"the registered model name is {len(name)} characters; the limit is {MAX_MODEL_NAME_LENGTH}."
        )
    if "/" in name or ":" in name:
        raise InvalidParameter(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    norm = posixpath.normpath(name)
    if norm != name or norm == "." or norm.startswith(".."):
        raise invalid_value(
            field, name, "Names may be treated as files in certain cases, and must not resolve to other names "
            f"when treated as such. This name would resolve to {norm!r}: it must not be '.', start with '..' "
            "or contain './'."
        )
    return name


def validate_new_model_name(name: object, field: str = "name") -> str:
    """A name for a model being created or renamed: ``validate_model_name`` and no control
    characters (U+0000-U+001F, U+007F), which are invisible in listings, break log lines and, as
    NUL, end C strings. Lookups keep accepting them, so a model named so before stays reachable."""
    validate_model_name(name, field)
    assert isinstance(name, str)
    control = control_character_in(name)
    if control is not None:
        raise invalid_value(
            field, name, f"a registered model name cannot contain control characters; this one has {control}."
        )
    return name


def parse_version(version: object) -> int:
    """A version number from an int or a string of digits (MLflow sends versions as strings)."""
    if isinstance(version, bool):
        raise InvalidParameter(f"Model version must be a positive integer, got {version!r}.")
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version.strip())
    if not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise InvalidParameter(f"Model version must be a positive integer up to {MAX_VERSION}, got {version!r}.")
    return version


def parse_stage(stage: object) -> ModelStage:
    """A stage by name, case-insensitive as in MLflow ('production' is 'Production')."""
    found = _STAGES.get(stage.strip().lower()) if isinstance(stage, str) else None
    if found is None:
        raise InvalidParameter(
            f"Invalid model version stage {stage!r}. Use one of: {', '.join(s.value for s in ModelStage)}."
        )
    return found


def validate_alias(alias: object) -> str:
    if not isinstance(alias, str) or not alias:
        raise InvalidParameter("Registered model alias name cannot be empty.")
    if not _ALIAS.fullmatch(alias):
        control = control_character_in(alias)
        why = f" This one contains the control character {control}." if control is not None else ""
        shown = json.dumps(alias)[1:-1]  # control characters escaped, not printed
        raise InvalidParameter(
            f"Invalid alias name: '{shown}'. Names may only contain alphanumerics, underscores (_), and dashes (-)."
            + why
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameter(
            f"'Registered model alias name' exceeds the maximum length of {MAX_ALIAS_LENGTH} characters: "
            f"alias '{alias[:40]}...' is {len(alias)}."
        )
    if alias.lower() == "latest":
        raise InvalidParameter("'latest' alias name (case insensitive) is reserved.")
    if _VERSION_ALIAS.match(alias):
        raise InvalidParameter(f"Version alias name '{alias}' is reserved. It would read as a version number.")
    return alias


def validate_tag(key: object, value: object) -> tuple[str, str]:
    validate_key("tag", key)
    if not isinstance(value, str):
        raise InvalidParameter(f"Tag '{key}' value must be a string, got {type(value).__name__}.")
    if len(value) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameter(f"Tag '{key}' value is {len(value)} characters; the limit is {MAX_TAG_VALUE_LENGTH}.")
    return key, value  # type: ignore[return-value]


def validate_text(field: str, value: object, required: bool = False, limit: int = MAX_TEXT_LENGTH) -> str | None:
    """An optional free-text field (description, reason, comment), stripped; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidParameter(f"A {field} is required: say why, for the audit trail.")
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"The {field} must be a string, got {type(value).__name__}.")
    if len(value) > limit:
        raise InvalidParameter(f"The {field} is {len(value)} characters; the limit is {limit}.")
    return value.strip()


def validate_actor_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidParameter(f"The acting user must be a name of 1 to {MAX_MODEL_NAME_LENGTH} characters.")
    return name.strip()
