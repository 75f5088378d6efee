"""`report`: the migration report as one self-contained HTML file.

Jinja2 with autoescape and StrictUndefined, templates in reports_templates/. Every value
reaches the page through `{{ }}` (escaped); no template uses `|safe` and no Python code
builds HTML strings. The page loads nothing: CSS, JavaScript and the SVG charts are inline,
and a Content-Security-Policy with `default-src 'none'` and hashes of our own style and
script blocks everything else, even markup that escaping had somehow let through. The
finished page passes through `redact.scrub` like every other output.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from migrator.redact import scrub
from migrator.resources import templates_dir

if TYPE_CHECKING:
    from migrator.report import Report

#: Inline assets, rendered on their own to hash them for the Content-Security-Policy.
STYLE_TEMPLATE = "_style.css.j2"
SCRIPT_TEMPLATE = "_script.js.j2"
PAGE_TEMPLATE = "report.html.j2"


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def content_security_policy() -> str:
    env = environment()
    style = env.get_template(STYLE_TEMPLATE).render()
    script = env.get_template(SCRIPT_TEMPLATE).render()
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src '{_hash(style)}'",
            f"script-src '{_hash(script)}'",
            "img-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def render(report: Report) -> str:
    """The whole page; nothing in it refers to a network resource."""
    page = environment().get_template(PAGE_TEMPLATE).render(r=report, csp=content_security_policy())
    return scrub(page)
