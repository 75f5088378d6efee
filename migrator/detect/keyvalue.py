"""Flat configuration: dotenv, INI/CFG, TOML and Java `.properties` (Spring, Kafka EMS connector).

Each format becomes the shared positioned tree (sections and tables as mappings), then the
shared config rules decide. The line of every key comes from a scan of the text, because
configparser and tomllib keep none.
"""

from __future__ import annotations

import configparser
import json
import re
from typing import Callable, Iterator, Optional

from migrator.detect import configrules as rules
from migrator.detect.cfgtree import Locator, Mapping, Node, Scalar, from_plain
from migrator.errors import MigratorError
from migrator.types import Finding, SourceFile

_DOTENV = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(.*)$")
_INI_SECTION = re.compile(r"^\[([^\]]+)\]")
_INI_OPTION = re.compile(r"^([^\s=:;#\[][^=:]*?)\s*[=:]")
_TOML_TABLE = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")
_TOML_KEY = re.compile(rf"^\s*((?:{_TOML_PART.pattern})(?:\s*\.\s*(?:{_TOML_PART.pattern}))*)\s*=\s*(.*)$")
_PROPERTY_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
#: Section name for INI keys written before any `[section]` header.
_TOP = "\x00top"


def prefilter(text: str) -> bool:
    return rules.KEYWORDS.search(text) is not None


#: This tool's own settings table (`[tool.celonis-migrator]` in pyproject.toml): rule ids and options, never keys.
OWN_TABLE = ("tool", "celonis-migrator")


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> list[Finding]:
    """Detector entry point (see migrator.detect) for dotenv, ini, toml and properties files."""
    root = PARSERS[source.kind](source.text)
    if source.kind == "toml":
        root = without_own_table(root)
    ctx = rules.build_context(source.path, source.kind, [root], source.text, extra_hosts)
    return rules.scan_entries([root], ctx)


def without_own_table(root: Node) -> Node:
    """The tree minus `[tool.celonis-migrator]` and its sub-tables (`severity`, `oauth-env`...)."""
    tool = next((v for k, v in root.items if k.value == OWN_TABLE[0]), None) if isinstance(root, Mapping) else None
    if not isinstance(root, Mapping) or not isinstance(tool, Mapping):
        return root
    pruned = Mapping([(k, v) for k, v in tool.items if k.value != OWN_TABLE[1]], tool.line, tool.col)
    return Mapping([(k, pruned if v is tool else v) for k, v in root.items], root.line, root.col)


# --- dotenv --------------------------------------------------------------------------------------


def dotenv_tree(text: str) -> Mapping:
    """`KEY=value`, `export KEY=value`, quoted values (double quotes may span lines), `# comments`."""
    lines = text.split("\n")
    root = Mapping([], 1, 1)
    i = 0
    while i < len(lines):
        found = _DOTENV.match(lines[i])
        if not found:
            i += 1
            continue
        key = Scalar(found.group(1), i + 1, found.start(1) + 1, i + 1, found.end(1) + 1)
        value, i = _dotenv_value(lines, i, found.start(2))
        root.items.append((key, value))
    return root


def _dotenv_value(lines: list[str], i: int, start: int) -> tuple[Scalar, int]:
    """The value starting at column `start` of line `i`, and the index of the next line to read."""
    rest = lines[i][start:]
    quote = rest[:1]
    if quote in ("'", '"'):
        body, j = rest[1:], i
        while True:
            close = _closing(body, quote)
            if close >= 0 or j + 1 >= len(lines) or quote == "'":
                break
            j += 1
            body += "\n" + lines[j]
        if close < 0:
            close = len(body)
        value = body[:close].replace('\\"', '"') if quote == '"' else body[:close]
        end_col = (len(lines[j]) if j > i else start + close + 2) + 1
        return Scalar(value, i + 1, start + 1, j + 1, end_col, quote), j + 1
    value = re.split(r"\s+#", rest, maxsplit=1)[0].rstrip()
    return Scalar(value, i + 1, start + 1, i + 1, start + len(value) + 1), i + 1


def _closing(text: str, quote: str) -> int:
    """Index of the first unescaped `quote` in `text`, or -1."""
    escaped = False
    for index, char in enumerate(text):
        if char == quote and not escaped:
            return index
        escaped = char == "\\" and not escaped and quote == '"'
    return -1


# --- .properties ---------------------------------------------------------------------------------


def properties_tree(text: str) -> Mapping:
    """Java properties: `key=value`, `key: value`, `key value`, `\\` continuations, `#`/`!` comments."""
    root = Mapping([], 1, 1)
    for line, col, logical in _logical_lines(text):
        key_end = _key_end(logical)
        key = _unescape(logical[:key_end])
        rest = logical[key_end:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        value_col = col + len(logical) - len(rest)
        root.items.append((Scalar(key, line, col, line, col + key_end),
                           Scalar(_unescape(rest), line, value_col, line, col + len(logical))))
    return root


def _logical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column, text) of each key/value line, continuations joined, comments dropped."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = i
        raw = lines[i].rstrip("\r")
        stripped = raw.lstrip(" \t\f")
        col = len(raw) - len(stripped) + 1
        logical = stripped
        while _continues(logical) and i + 1 < len(lines):
            i += 1
            logical = logical[:-1] + lines[i].rstrip("\r").lstrip(" \t\f")
        i += 1
        if logical and logical[0] not in "#!":
            yield start + 1, col, logical


def _continues(line: str) -> bool:
    """An odd number of trailing backslashes continues the line."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _key_end(line: str) -> int:
    """Index just after the key: at the first unescaped `=`, `:` or whitespace."""
    escaped = False
    for index, char in enumerate(line):
        if not escaped and char in "=: \t\f":
            return index
        escaped = char == "\\" and not escaped
    return len(line)


def _unescape(text: str) -> str:
    """Properties escapes: `\\uXXXX`, `\\t`, `\\n`, and `\\x` -> `x`."""
    def one(found: re.Match[str]) -> str:
        body = found.group(1)
        if body.startswith("u") and len(body) == 5:
            return chr(int(body[1:], 16))
        return _PROPERTY_ESCAPES.get(body, body)
    return re.sub(r"\\(u[0-9A-Fa-f]{4}|.)", one, text)


# --- INI -----------------------------------------------------------------------------------------


def ini_tree(text: str) -> Node:
    """Sections as mappings; keys written before any section header sit at the top."""
    parser = _ini_parse(text)
    data: dict[str, object] = {}
    located: dict[tuple[str, ...], tuple[int, int, int]] = {}
    for section, key, where in _ini_lines(text):
        if key is None:
            located[(section,)] = where
            continue
        values = parser[section] if parser.has_section(section) else parser.defaults()
        if key not in values:
            continue
        path = (key,) if section == _TOP else (section, key)
        holder = data if section == _TOP else data.setdefault(section, {})
        assert isinstance(holder, dict)
        holder[key] = values[key]
        located[path] = where
    return from_plain(data, Locator(located))


def _ini_parse(text: str) -> configparser.ConfigParser:
    """configparser without interpolation; a file without a first section header gets one."""
    for header in ("", f"[{_TOP}]\n"):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(header + text)
            return parser
        except configparser.MissingSectionHeaderError:
            continue
        except configparser.ParsingError as exc:
            line = exc.errors[0][0] - header.count("\n") if exc.errors else "?"
            raise MigratorError(f"malformed INI: line {line}: not a 'key = value' line") from None
        except configparser.Error as exc:
            raise MigratorError(f"malformed INI: {type(exc).__name__}") from None
    raise MigratorError("malformed INI: no section header")


def _ini_lines(text: str) -> Iterator[tuple[str, Optional[str], tuple[int, int, int]]]:
    """(section, key or None for the header, (line, column, end column)) as configparser reads them."""
    section = _TOP
    for number, line in enumerate(text.split("\n"), 1):
        header = _INI_SECTION.match(line)
        if header:
            section = header.group(1)
            yield section, None, (number, 1, len(line.rstrip()) + 1)
            continue
        option = _INI_OPTION.match(line)
        if option:
            yield section, option.group(1).strip(), (number, 1, len(line.rstrip()) + 1)


# --- TOML ----------------------------------------------------------------------------------------


def toml_tree(text: str) -> Node:
    """tomllib for the values (a line scan on Python 3.10, which has none); the scan for the lines."""
    keys = list(_toml_keys(text))
    located = {path: (line, col, end) for path, line, col, end, _ in keys}
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: runtime dependencies stay libcst/click/pyyaml/jinja2
        return from_plain(toml_fallback(keys), Locator(located))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MigratorError(f"malformed TOML: {str(exc).splitlines()[0]}") from None
    return from_plain(data, Locator(located))


_TomlKey = tuple[tuple[str, ...], int, int, int, str]


def _toml_keys(text: str) -> Iterator[_TomlKey]:
    """(path, line, column, end column, raw value) of each table header and `key = value` line.

    Array-of-tables items get a `#<index>` part, as `from_plain` locates list items.
    """
    table: tuple[str, ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    in_string = ""
    for number, line in enumerate(text.split("\n"), 1):
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = ""
            continue
        header = _TOML_TABLE.match(line)
        found = None if header else _TOML_KEY.match(line)
        end = len(line.rstrip()) + 1
        if header:
            name = _toml_path(header.group(2))
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                name = (*name, f"#{counts[name]}")
            table = name
            yield table, number, 1, end, ""
        elif found:
            raw = found.group(2)
            yield table + _toml_path(found.group(1)), number, line.index(found.group(1)) + 1, end, raw
            quote = '"""' if '"""' in raw else "'''" if "'''" in raw else ""
            if quote and raw.count(quote) % 2 == 1:
                in_string = quote


def _toml_path(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _TOML_PART.findall(dotted))


def toml_fallback(keys: list[_TomlKey]) -> dict[str, object]:
    """Nested tables of the simple `key = "string"` lines, for Python 3.10 (no tomllib)."""
    data: dict[str, object] = {}
    for path, _line, _col, _end, raw in keys:
        holder = data
        parts = [p for p in path if not p.startswith("#")]
        if not raw or not parts:
            continue
        for part in parts[:-1]:
            nested = holder.setdefault(part, {})
            if not isinstance(nested, dict):
                break
            holder = nested
        else:
            holder[parts[-1]] = _toml_scalar(raw)
    return data


def _toml_scalar(raw: str) -> str:
    """A basic or literal string's value; anything else as written (comment dropped)."""
    raw = raw.strip()
    if raw.startswith('"') and not raw.startswith('"""'):
        end = _closing(raw[1:], '"')
        try:
            return str(json.loads(raw[: end + 2]))
        except ValueError:
            return raw[1:end + 1]
    if raw.startswith("'") and not raw.startswith("'''"):
        return raw[1:raw.find("'", 1)]
    return re.split(r"\s+#", raw, maxsplit=1)[0]


PARSERS: dict[str, Callable[[str], Node]] = {
    "dotenv": dotenv_tree, "properties": properties_tree, "ini": ini_tree, "toml": toml_tree,
}
