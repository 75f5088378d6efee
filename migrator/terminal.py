"""Colour and progress for people at a terminal, and nothing for pipes, files and CI logs.

Colour only when the stream is a TTY, `--no-color` is not given and `NO_COLOR` is unset or
empty (https://no-color.org). Progress goes to stderr, only on a TTY, only once a scan has
run for a while, and is erased when it ends, so stdout stays the report alone.
"""

from __future__ import annotations

import os
import re
import sys
import time
from typing import Optional, TextIO

import click

from migrator.redact import scrub

#: Severity -> colour of its label in the text report.
SEVERITY_COLOURS = {"high": "red", "medium": "yellow", "low": "cyan", "info": "blue"}

_FINDING_HEADER = re.compile(r"^(?P<where>\S.*?:\d+:\d+(?: \(cell \d+, line \d+\))?: )"
                             r"(?P<severity>high|medium|low|info)(?P<rest>: \S+)", re.M)


def is_tty(stream: Optional[TextIO]) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def colour_enabled(stream: Optional[TextIO], *, no_color: bool = False) -> bool:
    """Whether to colour what goes to `stream`."""
    return not no_color and not os.environ.get("NO_COLOR") and is_tty(stream)


def style(text: str, colour: str, *, enabled: bool, bold: bool = False) -> str:
    return click.style(text, fg=colour, bold=bold) if enabled else text


def colour_report(text: str, *, enabled: bool) -> str:
    """Colour the severity of each finding header and the leak warnings of a text report."""
    if not enabled:
        return text

    def header(m: re.Match[str]) -> str:
        severity = m.group("severity")
        return (m.group("where") + style(severity, SEVERITY_COLOURS[severity], enabled=True, bold=True)
                + style(m.group("rest"), "white", enabled=True, bold=True))

    text = _FINDING_HEADER.sub(header, text)
    return text.replace("LEAKED: revoke this key", style("LEAKED: revoke this key", "red", enabled=True, bold=True))


class Progress:
    """`scanning… N files` on stderr, redrawn at most ten times a second after `delay` seconds.

    Discovery streams files, so the total is not known up front: this counts, it does not
    estimate. Disabled unless stderr is a TTY.
    """

    def __init__(self, *, enabled: bool, stream: Optional[TextIO] = None, delay: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self.delay = delay
        self.last = 0.0
        self.shown = False
        self.count = 0

    def __call__(self, path: str) -> None:
        """Called once per file handled."""
        self.count += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or now - self.last < 0.1:
            return
        self.last = now
        width = 70
        name = path if len(path) <= width - 30 else "…" + path[-(width - 31):]
        name = scrub("".join(ch if ch.isprintable() else "?" for ch in name))
        self.stream.write(f"\r\x1b[2Kscanning… {self.count} files  {name}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
