"""Mask secrets in lines of code before they are shown (the diffs `fix` prints and the report embeds).

`redact.scrub` finds whole Celonis keys, JWTs and long scheme values. A diff shows more than that:
context lines around a change hold whatever the file holds, such as
`CELONIS_CLIENT_SECRET = "S3cr3t-..."`, or a key split over two adjacent string literals. Each line
is masked on its own, in three ways; a masked literal keeps its quotes and prefix and its content
becomes `…[N chars]`, so the line stays readable and the diff keeps its shape:

1. A string literal assigned to, compared with or keyed by a secret-ish name (`SECRET = "..."`,
   `"client_secret": "..."`, `api_key="..."`, `headers["Authorization"] = "..."`,
   `os.environ.setdefault("CELONIS_API_TOKEN", "...")`), and the literals concatenated with it. A
   leading auth scheme (`"AppKey "`, `"Bearer "`, `"Basic "`) stays visible, so do every
   `{expression}` of an f-string and a plain URL (`token_url = "https://.../oauth2/token"`).
2. On a line that mentions such a name, `AppKey` or `Bearer`: every run of 20 or more base64 or hex
   characters (with a digit) inside a string literal.
3. Anywhere: a string literal that is one opaque run of 32 or more base64 or hex characters with a
   letter and a digit (half of a split key, a hex secret); UUIDs stay visible.

`mask_secrets_in_notebook_line` does the same inside the JSON strings of an `.ipynb` line.
"""

from __future__ import annotations

import json
import re

#: Names whose values are secrets.
SECRET_NAME = re.compile(r"(?i)secret|password|passwd|api[_-]?key|app[_-]?key|token|credential|authorization")
#: A line that mentions one of these may hold a key anywhere in its literals.
_TRIGGER = re.compile(SECRET_NAME.pattern + r"|appkey|bearer")
_LITERAL = re.compile(
    r"(?P<prefix>(?<![\w])[rRbBuUfF]{0,2})(?P<quote>'''|\"\"\"|'|\")(?P<body>(?:\\.|(?!(?P=quote))[^\\])*)(?P=quote)"
)
#: Before a literal: `name =`, `name: T =`, `name ==`, `name=`, `name(`... of an assignment, comparison or keyword.
_NAME_BEFORE = re.compile(r"(?P<name>[A-Za-z_]\w*)\s*(?::[^=:'\"(),]+?)?\s*(?:[=!]=|\+=|=)\s*\(*\s*$")
#: Before a literal: a key literal followed by `:` or `] =` (dict entry, subscript), or the first argument
#: of a call followed by `,` (`environ.setdefault("NAME", "value")`, `getenv("NAME", "default")`).
_KEY_BEFORE = re.compile(r"(?P<q>['\"])(?P<name>[^'\"]*)(?P=q)\s*(?:\]\s*(?:[=!]=|=)|:)\s*\(*\s*$"
                         r"|\(\s*(?P<q2>['\"])(?P<arg>[^'\"]*)(?P=q2)\s*,\s*$")
_SCHEME = re.compile(r"(?i)^\s*(?:appkey|bearer|basic|token)\s+")
_RUN = re.compile(r"[A-Za-z0-9+/=_.~-]{20,}")
_OPAQUE = re.compile(r"^[A-Za-z0-9+/=_~-]{32,}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: A URL with no user info and no query (`token_url = "https://..."`): not a secret, and worth seeing.
_PLAIN_URL = re.compile(r"^https?://[^\s@?#{}]+$")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[A-Za-z]")
#: One segment of a path or host name: lower case after the first character (a key is mixed case).
_NAME_SEGMENT = re.compile(r"[A-Za-z]?[a-z0-9_~+=-]*")


def masked(n: int) -> str:
    return f"…[{n} chars]"


def _hide(text: str) -> str:
    """`…[N chars]`; a whole Celonis key keeps the 4-character preview every other output shows for it."""
    from migrator.redact import is_real_shape, mask

    return mask(text) if is_real_shape(text) else masked(len(text))


def mask_secrets_in_code_line(line: str) -> str:
    """`line` with secret-looking string literal contents replaced by `…[N chars]` (see the module doc)."""
    if not line or ('"' not in line and "'" not in line):
        return line
    triggered = _TRIGGER.search(line) is not None
    out: list[str] = []
    pos = 0
    bound_end = -1  # end of the last literal masked because of its name (rule 1), for concatenations
    for m in _LITERAL.finditer(line):
        start, end = m.start(), m.end()
        before = line[pos:start]
        bound = _bound_to_secret_name(line[:start]) or (bound_end >= 0 and not line[bound_end:start].strip())
        body = m.group("body")
        fstring = "f" in m.group("prefix").lower()
        new_body = _mask_body(body, fstring, bound=bound, triggered=triggered)
        out.append(before)
        out.append(m.group("prefix") + m.group("quote") + new_body + m.group("quote"))
        bound_end = end if bound else -1
        pos = end
    out.append(line[pos:])
    return "".join(out)


def mask_secrets_in_notebook_line(line: str) -> str:
    """A line of notebook JSON: each JSON string holds code (a cell line, or a whole cell); mask that."""
    if '"' not in line:
        return line

    def one(m: re.Match[str]) -> str:
        raw = m.group(0)
        try:
            text = json.loads(raw)
        except ValueError:
            return raw
        if not isinstance(text, str):
            return raw
        new = "".join(mask_secrets_in_code_line(part) for part in text.splitlines(keepends=True))
        if new == text:
            return raw
        return json.dumps(new, ensure_ascii="\\u" in raw)

    return re.sub(r'"(?:[^"\\]|\\.)*"', one, line)


def _bound_to_secret_name(before: str) -> bool:
    """Is the literal that follows `before` assigned to, compared with or keyed by a secret-ish name?"""
    m = _KEY_BEFORE.search(before)
    name = (m.group("name") or m.group("arg")) if m else None
    if name is None:
        m = _NAME_BEFORE.search(before)
        name = m.group("name") if m else None
    return name is not None and SECRET_NAME.search(name) is not None


def _mask_body(body: str, fstring: bool, *, bound: bool, triggered: bool) -> str:
    if not fstring:
        return _mask_text(body, bound=bound, triggered=triggered, first=True)
    parts: list[str] = []
    for i, (text, expr) in enumerate(_fstring_parts(body)):
        parts.append(_mask_text(text, bound=bound, triggered=triggered, first=i == 0))
        if expr:
            parts.append("{" + mask_secrets_in_code_line(expr[1:-1]) + "}")
    return "".join(parts)


def _mask_text(text: str, *, bound: bool, triggered: bool, first: bool) -> str:
    """Literal text (no f-string expression): mask all of it (rule 1), its long runs (2) or an opaque blob (3)."""
    if not text:
        return text
    keep = ""
    if first:
        scheme = _SCHEME.match(text)
        if scheme:
            keep, text = text[:scheme.end()], text[scheme.end():]
    if not text:
        return keep
    if bound and not _PLAIN_URL.match(text):
        return keep + _hide(text)
    if _OPAQUE.match(text) and _LETTER.search(text) and _secretish(text):
        return keep + _hide(text)
    if triggered:
        text = _RUN.sub(lambda r: _hide(r.group(0)) if _secretish(r.group(0)) else r.group(0), text)
    return keep + text


def _secretish(run: str) -> bool:
    """A run of base64/hex characters that could be a key: it has a digit, and is no UUID, path or host name."""
    if not _DIGIT.search(run) or _UUID.match(run):
        return False
    if "/" in run or "." in run:
        return not all(_NAME_SEGMENT.fullmatch(seg) for seg in re.split(r"[/.]", run))
    return True


def _fstring_parts(body: str) -> list[tuple[str, str]]:
    """[(literal text, "{expression}" or "")] of an f-string body; `{{` and `}}` stay text."""
    parts: list[tuple[str, str]] = []
    text: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in "{}" and body[i:i + 2] in ("{{", "}}"):
            text.append(body[i:i + 2])
            i += 2
            continue
        if ch == "{":
            depth, j = 0, i
            while j < len(body):
                if body[j] == "{":
                    depth += 1
                elif body[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            parts.append(("".join(text), body[i:j + 1]))
            text = []
            i = j + 1
            continue
        text.append(ch)
        i += 1
    parts.append(("".join(text), ""))
    return parts
