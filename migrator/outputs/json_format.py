"""`--format json`: the output contract of context.result_dict, pretty-printed."""

from __future__ import annotations

import json

from migrator.outputs.context import result_dict
from migrator.redact import scrub
from migrator.types import ScanResult


def render(result: ScanResult) -> str:
    return scrub(json.dumps(result_dict(result), indent=2, ensure_ascii=False, sort_keys=False)) + "\n"
