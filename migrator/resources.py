"""Locate rules/ and reports_templates/, whether installed as a wheel or run from a checkout."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    """Return the directory holding `name` ("rules" or "reports_templates").

    A wheel carries them under migrator/_data/; a source checkout (editable install or
    running tests) has them at the repository top.
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the bundled {name}/ directory next to {_PACKAGE}")


def rules_dir() -> Path:
    return data_dir("rules")


def templates_dir() -> Path:
    return data_dir("reports_templates")
