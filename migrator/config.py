"""`[tool.celonis-migrator]` in pyproject.toml, or `.celonis-migrator.toml`: defaults for the flags.

The file is looked for in the current directory, then in each parent up to the top of
the git work tree (the directory holding `.git`); in one directory `.celonis-migrator.toml`
wins over pyproject.toml, and a pyproject.toml without the table is passed over. Every key
maps to a command-line option, and an option given on the command line overrides it.
Unknown keys are errors that list the valid ones, with a breadcrumb to the bad value.

TOML is read with `tomllib` on Python 3.11+. Python 3.10 has no TOML reader in the
standard library, and the runtime dependencies are kept to libcst, click, pyyaml and
jinja2, so `_MiniToml` below reads the subset this file documents (tables, dotted keys,
strings, integers, booleans, arrays and inline tables), and skips other tables unparsed.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Optional, Union

from migrator.errors import MigratorError
from migrator.types import SEVERITIES

FILE_NAME = ".celonis-migrator.toml"
TABLE = ("tool", "celonis-migrator")

#: Valid keys with the value they take (shown in errors and the README).
KEYS: dict[str, str] = {
    "include": "list of globs",
    "exclude": "list of globs",
    "extra-hosts": "list of host names",
    "disable-rules": "list of rule ids",
    "severity": "table of rule id = high|medium|low|info",
    "baseline": "path of the baseline file, relative to this file",
    "max-file-size": "integer, bytes",
    "jobs": "integer >= 1 or \"auto\"",
    "oauth-env": "table with client-id and client-secret: the env var names the codemod reads",
    "clients": "table of client name = list of globs (groups findings by OAuth client in the report)",
}
OAUTH_ENV_KEYS = ("client-id", "client-secret")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST = re.compile(r"^[a-z0-9*]([a-z0-9.-]*[a-z0-9])?(:\d+)?$")


class ConfigError(MigratorError):
    """An invalid configuration file; the message carries a breadcrumb to the bad value."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        super().__init__(f"{file}: at {where}: {problem}" if where else f"{file}: {problem}")


@dataclass(frozen=True)
class Config:
    """The settings of one configuration file; empty values mean "not set"."""

    #: The file the values came from, or None when no file was found.
    path: Optional[str] = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    disable_rules: tuple[str, ...] = ()
    #: (rule id, severity) pairs.
    severity: tuple[tuple[str, str], ...] = ()
    #: Baseline path, already joined to the configuration file's directory.
    baseline: Optional[str] = None
    max_file_size: Optional[int] = None
    #: Worker processes; 0 is "auto".
    jobs: Optional[int] = None
    #: Env var names for the OAuth client id and secret that `fix` writes into code.
    oauth_client_id_env: str = "CELONIS_CLIENT_ID"
    oauth_client_secret_env: str = "CELONIS_CLIENT_SECRET"
    #: (client name, globs) pairs, in file order.
    clients: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)


def find_config(start: Optional[str] = None) -> Optional[str]:
    """The configuration file for `start` (default: the cwd), or None."""
    directory = os.path.abspath(start or os.getcwd())
    while True:
        candidate = os.path.join(directory, FILE_NAME)
        if os.path.isfile(candidate):
            return candidate
        pyproject = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(pyproject) and _has_table(pyproject):
            return pyproject
        parent = os.path.dirname(directory)
        if parent == directory or os.path.exists(os.path.join(directory, ".git")):
            return None
        directory = parent


def load_config(path: Optional[str] = None, *, start: Optional[str] = None,
                known_rules: Union[Iterable[str], Callable[[], Iterable[str]], None] = None) -> Config:
    """Read and validate a configuration file (`path`, or the one found from `start`).

    `known_rules` (the rule ids, or a function giving them, called only when the file names
    rules) makes unknown rule ids in `disable-rules` and `severity` errors.
    """
    path = path or find_config(start)
    if path is None:
        return Config()
    data = _read(path)
    if os.path.basename(path) == "pyproject.toml" or _table_of(data) is not None and set(data) == {"tool"}:
        table = _table_of(data)
        where = "[tool.celonis-migrator]"
        if table is None:
            return Config(path=path)
    else:
        table, where = data, ""
    names_rules = "disable-rules" in table or "severity" in table
    if known_rules is None or not names_rules:
        known = None
    else:
        known = set(known_rules() if callable(known_rules) else known_rules)
    return _validate(path, where, table, known)


def _has_table(pyproject: str) -> bool:
    try:
        with open(pyproject, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*[\"']?celonis-migrator[\"']?\s*[\].]", text, re.M) is not None


def _table_of(data: dict[str, Any]) -> Optional[dict[str, Any]]:
    tool = data.get("tool")
    table = tool.get("celonis-migrator") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ConfigError(path, "", "no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    only = TABLE if os.path.basename(path) == "pyproject.toml" else ()
    try:
        return loads(text, only=only)
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None


def loads(text: str, *, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Parse TOML: tomllib when the interpreter has it, else the documented subset.

    `only` names the table the caller needs (the subset parser skips the others unread).
    """
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)
    return loads_subset(text, only=only)


def _validate(path: str, where: str, table: dict[str, Any], known_rules: Optional[set[str]]) -> Config:
    def at(*keys: str) -> str:
        return ".".join(k for k in (where, *keys) if k) or "top"

    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(path, at(unknown[0]), f"unknown key; valid keys: {', '.join(KEYS)}")
    values: dict[str, Any] = {"path": path}
    for key in ("include", "exclude", "extra-hosts", "disable-rules"):
        if key in table:
            values[key.replace("-", "_")] = _strings(path, at(key), table[key])
    for host in values.get("extra_hosts", ()):
        if not _HOST.match(host.lower()):
            raise ConfigError(path, at("extra-hosts"), f"{host!r} is not a host name (no scheme or path)")
    values["extra_hosts"] = tuple(h.lower() for h in values.get("extra_hosts", ()))
    if known_rules is not None:
        for rid in values.get("disable_rules", ()):
            if rid not in known_rules:
                raise ConfigError(path, at("disable-rules"), f"unknown rule id {rid!r}; known rules: "
                                  f"{', '.join(sorted(known_rules))}")
    if "severity" in table:
        values["severity"] = _severity(path, at("severity"), table["severity"], known_rules)
    if "baseline" in table:
        if not isinstance(table["baseline"], str) or not table["baseline"].strip():
            raise ConfigError(path, at("baseline"), "must be a non-empty string")
        values["baseline"] = os.path.normpath(os.path.join(os.path.dirname(path), table["baseline"]))
    if table.get("jobs") == "auto":
        values["jobs"] = 0
    for key, minimum in (("max-file-size", 1), ("jobs", 1)):
        if key in table and key.replace("-", "_") not in values:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                also = ' or "auto"' if key == "jobs" else ""
                raise ConfigError(path, at(key), f"must be an integer >= {minimum}{also}, got {value!r}")
            values[key.replace("-", "_")] = value
    if "oauth-env" in table:
        values.update(_oauth_env(path, at("oauth-env"), table["oauth-env"]))
    if "clients" in table:
        values["clients"] = _clients(path, at("clients"), table["clients"])
    return Config(**values)


def _strings(path: str, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(path, where, f"must be a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(path, f"{where}[{i}]", "must be a non-empty string")
    return tuple(value)


def _severity(path: str, where: str, value: Any, known_rules: Optional[set[str]]) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(path, where, "must be a table of rule id = severity")
    out = []
    for rid, level in value.items():
        if known_rules is not None and rid not in known_rules:
            raise ConfigError(path, f"{where}.{rid}", f"unknown rule id; known rules: {', '.join(sorted(known_rules))}")
        if level not in SEVERITIES:
            raise ConfigError(path, f"{where}.{rid}", f"{level!r} is not one of {', '.join(SEVERITIES)}")
        out.append((rid, level))
    return tuple(out)


def _oauth_env(path: str, where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(path, where, f"must be a table with {', '.join(OAUTH_ENV_KEYS)}")
    unknown = sorted(set(value) - set(OAUTH_ENV_KEYS))
    if unknown:
        raise ConfigError(path, f"{where}.{unknown[0]}", f"unknown key; valid keys: {', '.join(OAUTH_ENV_KEYS)}")
    out = {}
    for key, name in value.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise ConfigError(path, f"{where}.{key}", f"{name!r} is not an environment variable name")
        out[f"oauth_{key.replace('-', '_')}_env"] = name
    return out


def _clients(path: str, where: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(path, where, "must be a table of client name = list of globs")
    return tuple((name, _strings(path, f"{where}.{name}", globs)) for name, globs in value.items())


# --- the TOML subset for Python 3.10 -------------------------------------------------------


class _MiniToml:
    """Parse the `tool.celonis-migrator` tables of a TOML document; other tables are skipped.

    Supports: `[table]` headers with bare or quoted dotted keys, `key = value` with dotted
    keys, basic and literal strings, integers, booleans, arrays (over several lines) and
    inline tables, comments. Raises ValueError with a line number on anything else inside
    our tables.
    """

    _BARE = re.compile(r"[A-Za-z0-9_-]+")
    _INT = re.compile(r"[+-]?(?:0|[1-9](?:_?[0-9])*)(?![\w.:])")
    _ESCAPES: ClassVar[dict[str, str]] = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}

    def __init__(self, text: str, only: tuple[str, ...] = ()) -> None:
        self.text = text
        #: Parse only the tables under this key path; skip the values of the others.
        self.only = only
        self.pos = 0
        self.root: dict[str, Any] = {}

    def parse(self) -> dict[str, Any]:
        current: Optional[dict[str, Any]] = self.root
        while True:
            self._skip_blank()
            if self.pos >= len(self.text):
                return self.root
            if self.text.startswith("[[", self.pos):
                current = None  # arrays of tables are never ours
                self._skip_line()
            elif self.text[self.pos] == "[":
                self.pos += 1
                keys = self._key()
                self._expect("]")
                self._end_of_line()
                current = self._table(self.root, keys) if self._ours(keys) else None
            else:
                keys = self._key()
                self._expect("=")
                if current is None:
                    self._skip_value()
                else:
                    value = self._value()
                    target = self._table(current, keys[:-1])
                    if keys[-1] in target:
                        raise self._error(f"duplicate key {keys[-1]!r}")
                    target[keys[-1]] = value
                self._end_of_line()

    def _ours(self, keys: list[str]) -> bool:
        return tuple(keys[:len(self.only)]) == self.only

    def _table(self, base: dict[str, Any], keys: list[str]) -> dict[str, Any]:
        for key in keys:
            node = base.setdefault(key, {})
            if not isinstance(node, dict):
                raise self._error(f"key {key!r} is not a table")
            base = node
        return base

    def _key(self) -> list[str]:
        keys = []
        while True:
            self._skip_spaces()
            ch = self.text[self.pos:self.pos + 1]
            if ch in ('"', "'"):
                keys.append(self._string())
            else:
                m = self._BARE.match(self.text, self.pos)
                if not m:
                    raise self._error("expected a key")
                keys.append(m.group(0))
                self.pos = m.end()
            self._skip_spaces()
            if self.text.startswith(".", self.pos):
                self.pos += 1
                continue
            return keys

    def _value(self) -> Any:
        self._skip_spaces()
        text, pos = self.text, self.pos
        ch = text[pos:pos + 1]
        if ch in ('"', "'"):
            if text.startswith(ch * 3, pos):
                raise self._error("multi-line strings are not supported here")
            return self._string()
        if ch == "[":
            self.pos += 1
            items: list[Any] = []
            while True:
                self._skip_blank()
                if self.text.startswith("]", self.pos):
                    self.pos += 1
                    return items
                items.append(self._value())
                self._skip_blank()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                elif not self.text.startswith("]", self.pos):
                    raise self._error("expected ',' or ']' in an array")
        if ch == "{":
            self.pos += 1
            table: dict[str, Any] = {}
            self._skip_spaces()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return table
            while True:
                keys = self._key()
                self._expect("=")
                self._table(table, keys[:-1])[keys[-1]] = self._value()
                self._skip_spaces()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                elif self.text.startswith("}", self.pos):
                    self.pos += 1
                    return table
                else:
                    raise self._error("expected ',' or '}' in an inline table")
        for word, value in (("true", True), ("false", False)):
            if text.startswith(word, pos) and not text[pos + len(word):pos + len(word) + 1].isalnum():
                self.pos += len(word)
                return value
        m = self._INT.match(text, pos)
        if m:
            self.pos = m.end()
            return int(m.group(0).replace("_", ""))
        raise self._error("unsupported value (use a string, integer, boolean, array or inline table)")

    def _string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(self.text) or self.text[self.pos] == "\n":
                raise self._error("unterminated string")
            ch = self.text[self.pos]
            self.pos += 1
            if ch == quote:
                return "".join(out)
            if ch == "\\" and quote == '"':
                esc = self.text[self.pos:self.pos + 1]
                if esc in self._ESCAPES:
                    out.append(self._ESCAPES[esc])
                    self.pos += 1
                elif esc in ("u", "U"):
                    width = 4 if esc == "u" else 8
                    digits = self.text[self.pos + 1:self.pos + 1 + width]
                    if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                        raise self._error("bad unicode escape")
                    out.append(chr(int(digits, 16)))
                    self.pos += 1 + width
                else:
                    raise self._error(f"bad escape \\{esc}")
            else:
                out.append(ch)

    def _skip_spaces(self) -> None:
        while self.text[self.pos:self.pos + 1] in (" ", "\t"):
            self.pos += 1

    def _skip_blank(self) -> None:
        """Spaces, newlines and comments."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif ch == "#":
                self._skip_line()
            else:
                return

    def _skip_line(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end + 1

    def _skip_value(self) -> None:
        """Step over a value of a table we do not read (any TOML value, over several lines)."""
        depth = 0
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in "\"'":
                if text.startswith(ch * 3, self.pos):
                    close = text.find(ch * 3, self.pos + 3)
                    while close > 0 and ch == '"' and text[close - 1] == "\\":
                        close = text.find(ch * 3, close + 1)
                    if close < 0:
                        raise self._error("unterminated multi-line string")
                    self.pos = close + 3
                    while text.startswith(ch, self.pos):
                        self.pos += 1
                else:
                    self._string()
                continue
            if ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
                continue
            if ch == "\n" and depth <= 0:
                return
            if ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
            self.pos += 1

    def _end_of_line(self) -> None:
        self._skip_spaces()
        if self.text.startswith(("#", "\r\n", "\n"), self.pos):
            self._skip_line()
        elif self.pos < len(self.text):
            raise self._error("expected the end of the line")

    def _expect(self, token: str) -> None:
        self._skip_spaces()
        if not self.text.startswith(token, self.pos):
            raise self._error(f"expected {token!r}")
        self.pos += len(token)

    def _error(self, problem: str) -> ValueError:
        line = self.text.count("\n", 0, self.pos) + 1
        return ValueError(f"{problem} (at line {line})")


def loads_subset(text: str, *, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """The documented TOML subset (see `_MiniToml`); used on Python 3.10."""
    return _MiniToml(text, only).parse()
