"""Keyword prefilters for detectors whose own module is expensive to import (LibCST).

Like gitleaks' rule `Keywords`: a substring check that decides most files
before any parse. Kept apart from the detectors so that importing it costs nothing.
"""

from __future__ import annotations

import re

PYTHON = re.compile(r"(?i)appkey|bearer|get_celonis|celonis_api_token|authorization|api_token")


def python(text: str) -> bool:
    return PYTHON.search(text) is not None
