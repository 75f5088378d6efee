"""Output formats. Each is `render(result, ...) -> str`; all text passes through `redact.scrub`."""

from __future__ import annotations

from typing import Callable


def formats() -> dict[str, Callable[..., str]]:
    """Format name -> render function, imported lazily."""
    from migrator.outputs import json_format, text_format

    return {"text": text_format.render, "json": json_format.render}
