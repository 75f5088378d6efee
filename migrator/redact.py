"""The only code that looks at raw key values.

Detectors hand a raw literal here and get back a classification, a masked
preview and a fingerprint; nothing else in the package keeps the raw value.
`scrub()` is the last line of defence: every output (text, JSON, SARIF, HTML,
CSV, baseline, error messages) is passed through it before it is written, so a
key that slipped into a message or a code snippet is still masked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

# A static Celonis key (app key or user API key) is base64 of "<uuid>:<secret>":
# 36 + 1 + 44 bytes = 81 bytes = exactly 108 base64 characters, no padding.
_KEY_SHAPE = re.compile(r"^[A-Za-z0-9+/]{108}$")
_DECODED_SHAPE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[A-Za-z0-9+/=]{40,48}$"
)
# Documentation examples published by Celonis: placeholders, not leaks.
_DOC_EXAMPLE_PREFIXES = ("MDg5MGVkNDkt", "MzgyZDEzYjIt", "GjV6ODBv")
_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")

_REFERENCE = re.compile(
    r"""^(?:
        \$\{\{\s*[\w.\-\[\]'"]+\s*\}\}      # ${{ secrets.X }}
      | \$\{[^}]+\}                           # ${VAR}, ${file:...}
      | \$[A-Za-z_]\w*                        # $VAR
      | \$env:[A-Za-z_]\w*                    # $env:VAR (PowerShell)
      | %[A-Za-z_]\w*%                        # %VAR%
      | \{\{\s*[\w.\-]+\s*\}\}                # {{var}}
    )$""",
    re.X,
)
_PLACEHOLDER = re.compile(
    r"""^(?:
        | <[^>]*>                              # <your-app-key>
      | \{[^}]*\}                             # {app_key}
      | [.…*xX#_-]+                           # xxx, ***, ..., …
      | (?i:(?:your|my|the|insert|enter|put)[\w\s-]*)  # YOUR_API_TOKEN, insert-key-here
      | (?i:[\w-]*(?:here|placeholder|example|sample|dummy|changeme|change[_-]me|redacted|todo|fake|secure|
                       test|demo|foo|bar|none|null|undefined|token|api[_-]?key|app[_-]?key|key|secret)[\w-]*)
      | \[(?i:secure|redacted|hidden|masked)\]   # pycelonis log redaction
    )$""",
    re.X,
)

# A real-shape key wherever it starts, even inside a longer run of base64 characters (a URL path
# segment, a file name): the characters the uuid's hyphens and the colon fix (t at 12 and 32, L at
# 25, O at 49) pin the alignment; a lookahead finds overlapping candidates, each then decoded.
_B64 = "A-Za-z0-9+/"
_KEY_ANYWHERE = re.compile(
    rf"(?=([{_B64}]{{11}}t[{_B64}]{{12}}L[{_B64}]{{6}}t[{_B64}]{{16}}O[{_B64}]{{59}}))"
)
# Other candidates for scrub(): any 108-char base64 run, JWTs, and anything long after a scheme.
_SCRUB_PATTERNS = (
    re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{108}(?![A-Za-z0-9+/=])"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)(?<=appkey )[A-Za-z0-9+/=_.\-~]{20,}"),
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9+/=_.\-~]{20,}"),
    re.compile(r"(?i)(?<=basic )[A-Za-z0-9+/=_.\-~]{20,}"),
)


def is_real_shape(value: str) -> bool:
    """True when `value` is base64 of "<uuid>:<secret>", the shape of a live Celonis key."""
    if not _KEY_SHAPE.match(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return bool(_DECODED_SHAPE.match(decoded))


def is_jwt(value: str) -> bool:
    """An OAuth access token (JWT), not a static key."""
    return bool(_JWT.match(value))


def is_reference(value: str) -> bool:
    """`${VAR}`, `$VAR`, `${{ secrets.X }}`, `{{var}}`: a pointer to a value held elsewhere."""
    return bool(_REFERENCE.match(value.strip()))


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip()))


def classify_literal(value: str) -> str:
    """One of: real-shape, doc-example, jwt, reference, placeholder, unexpected-shape."""
    value = value.strip().strip("'\"")
    if value.startswith(_DOC_EXAMPLE_PREFIXES) and re.fullmatch(r"[A-Za-z0-9+/=]{80,112}", value):
        return "doc-example"
    if is_real_shape(value):
        return "real-shape"
    if is_jwt(value):
        return "jwt"
    if is_reference(value):
        return "reference"
    if is_placeholder(value):
        return "placeholder"
    return "unexpected-shape"


def mask(value: str) -> str:
    """A preview that identifies a key to its owner without revealing it: first 4 chars and length."""
    value = value.strip()
    if len(value) <= 8:
        return f"…[{len(value)} chars]"
    return f"{value[:4]}…[{len(value)} chars]"


def content_hash(*parts: str) -> str:
    """Stable SHA-256 over parts; used for fingerprints and baselines (never reversible for a key)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def fingerprint(rule_id: str, path: str, content: str, occurrence: int = 0) -> str:
    """Identity of a finding: rule + path + normalised content, independent of its line number."""
    normalised = " ".join(content.split())
    return content_hash(rule_id, path, normalised, str(occurrence))[:32]


def _mask_embedded_keys(text: str) -> str:
    spans = [(m.start(1), m.end(1)) for m in _KEY_ANYWHERE.finditer(text) if is_real_shape(m.group(1))]
    for start, end in reversed(spans):
        text = text[:start] + mask(text[start:end]) + text[end:]
    return text


#: Necessary conditions, one per scrub pattern, that cost a fraction of the pattern on large texts
#: (a report, the stat index): a real-shape key and a 108-char run both need a base64 run of 108
#: characters starting where no base64 character precedes it; a JWT needs "eyJ"; a value after a
#: scheme needs the scheme word and a space.
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#: Every base64 character becomes "a", every other byte " ": a 108-character base64 run is then a
#: plain substring, found at memory speed (the regex would try every offset).
_RUN_TABLE = bytes(ord("a") if b in _B64_ALPHABET else ord(" ") for b in range(256))
_RUN_108 = b"a" * 108


def _has_long_run(text: str) -> bool:
    """True when `text` holds 108 base64 characters in a row (non-ASCII characters break a run)."""
    return _RUN_108 in text.encode("utf-8", "surrogatepass").translate(_RUN_TABLE)
_SCHEME_WORDS = {2: "appkey ", 3: "bearer ", 4: "basic "}


def scrub(text: str) -> str:
    """Mask anything that looks like a key or token in `text`. Idempotent."""
    long_run = _has_long_run(text)
    if long_run:
        text = _mask_embedded_keys(text)
    lowered = text.lower() if text.isascii() else None
    for i, pattern in enumerate(_SCRUB_PATTERNS):
        if i == 0 and not long_run:
            continue
        if i == 1 and "eyJ" not in text:
            continue
        if lowered is not None and i in _SCHEME_WORDS and _SCHEME_WORDS[i] not in lowered:
            continue
        text = pattern.sub(lambda m: mask(m.group(0)), text)
    return text
