"""Find static Celonis keys in shell scripts, Dockerfiles, PowerShell and raw HTTP files.

How it decides, in order:
1. *Units*: physical lines are joined into commands (backslash or backtick continuations,
   open brackets, trailing pipes) keeping every character's line; a raw HTTP file is split
   into request blocks (request line + headers).
2. *Sites*: an `Authorization` header value that starts with AppKey or Bearer (curl `-H`,
   wget `--header`, httpie, PowerShell hashtables, raw HTTP), curl `--oauth2-bearer`, and
   PowerShell 7 `-Authentication Bearer -Token`.
3. *Value*: `$VAR`, `${VAR}`, `$env:VAR`, `{{var}}` are followed to their assignment in the
   text; a value that comes from a `/oauth2/token` call or an `access_token` is OAuth and
   not reported, as is a JWT literal.
4. *Target*: URLs of the same command, or of the commands that use the header variable,
   mapped with `endpoints.map_endpoint`. Only non-Celonis hosts: no finding. No URL: a
   finding only when the text shows other Celonis evidence, at lower confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from migrator import endpoints as ep
from migrator.findings import make_finding
from migrator.redact import classify_literal
from migrator.types import Endpoint, Finding, KeySource, SourceFile

_KEYWORDS = re.compile(r"(?i)appkey|bearer|authorization|oauth2-bearer|api_token")

#: Dialect of each file kind this module scans.
_DIALECTS = {"shell": "shell", "dockerfile": "shell", "powershell": "powershell", "http": "http"}

_RULE_BY_SCHEME = {"AppKey": "celonis-appkey-header", "Bearer": "celonis-bearer-static-key"}
_TOKEN_ENV_RULE = "celonis-api-token-env"
_CONTENT_CLI_RULE = "content-cli-key-profile"

# --- sites -----------------------------------------------------------------------------------

_HEADER = re.compile(
    r"""(?ix)
    \bauthorization\b ["']?\]? \s* (?: : | = | , ) \s*     # Authorization:  = "Authorization",
    (?: ["'`] \s* )?                                        # httpie / PowerShell quote
    (?P<scheme> appkey | bearer ) \b [ \t]*
    (?P<concat> ["'] \s* \+ \s* )?                         # "AppKey " + $key
    """
)
_OAUTH2_BEARER = re.compile(r"(?i)--oauth2-bearer(?:[ \t]+|=)")
_PS_AUTHENTICATION = re.compile(r"(?i)-Authentication\s+[\"']?(?:Bearer|OAuth)\b[\"']?")
_PS_TOKEN = re.compile(r"(?i)-Token\s+")
#: `printf 'Authorization: AppKey %s' "$KEY"`, PowerShell `"AppKey {0}" -f $key`: the value is an argument.
_FORMAT_SLOTS = ("%s", "{0}")
_PLAIN_TOKEN = re.compile(r"""[^\s"'`;|),]+""")

# --- values ----------------------------------------------------------------------------------

_OAUTH_TEXT = re.compile(r"(?i)oauth2/token|access_token|\.accessToken\b|client_credentials")
_OAUTHISH_NAME = re.compile(r"(?i)access|oauth|jwt")
_GH_EXPR = re.compile(r"^\$\{\{\s*(?P<ns>\w+)\.(?P<name>[\w.-]+)\s*\}\}$")
_SH_VAR = re.compile(r"^\$(?:\{(?P<braced>[A-Za-z_]\w*)(?P<op>:?[-=?+][^}]*)?\}|(?P<plain>[A-Za-z_]\w*))$")
_PS_ENV = re.compile(r"(?i)^\$(?:env:(?P<a>\w+)|\{env:(?P<b>\w+)\})$")
_PS_PROPERTY = re.compile(r"^\$(?P<name>\w+)(?P<path>(?:\.\w+)+)$")
_POSITIONAL = re.compile(r"^(?:\$(?P<n>[1-9])|\$\{(?P<b>[1-9])\}|\$args\[(?P<i>\d+)\])$")
_HTTP_ENV = re.compile(r"(?i)^\{\{\s*\$(?:dotenv|processEnv)\s+(?P<name>\w+)\s*\}\}$")
_TEMPLATE_VAR = re.compile(r"^\{\{\s*(?P<name>[\w.-]+)\s*\}\}$")
_CMD_VAR = re.compile(r"^%(?P<name>\w+)%$")
_FIRST_REFERENCE = re.compile(r"\$(?:env:\w+|\{env:\w+\}|\{[A-Za-z_]\w*[^}]*\}|[A-Za-z_]\w*)")
_USER_INPUT = re.compile(r"(?i)\bRead-Host\b|\bgetpass\b|^\s*read\b")
_FILE_READ = re.compile(r"(?i)(?:\bcat|\bGet-Content|<)\s+(?:-\w+\s+)*[\"']?(?P<file>[^\s\"')|;]+)")
_SECRET_STORE = re.compile(
    r"(?i)\b(?:vault\s+(?:kv\s+)?(?:get|read)|aws\s+secretsmanager|az\s+keyvault\s+secret|gcloud\s+secrets|"
    r"op\s+read|Get-Secret|Get-AzKeyVaultSecret|security\s+find-generic-password)\b"
)
_SECRET_ARGUMENT = re.compile(r"(?i)(?:--secret-id|--name|-Name|-SecretName|--id)[ =]+[\"']?(?P<name>[^\s\"']+)")
_SECRET_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+")
_CONFIG_READ = re.compile(
    r"(?i)ConvertFrom-Json|Import-PowerShellDataFile|ConvertFrom-StringData|\bjq\b|\byq\b"
)

# --- assignments -----------------------------------------------------------------------------

_ASSIGNMENTS = {
    "shell": re.compile(
        r"^\s*(?:RUN\s+|ENV\s+|ARG\s+)?(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?"
        r"(?P<name>[A-Za-z_]\w*)=(?P<value>.*)",
        re.DOTALL,
    ),
    "powershell": re.compile(
        r"^\s*(?:\[[\w.\[\]]+\]\s*)?\$(?:env:)?(?P<name>\w+)\s*=\s*(?P<value>.*)", re.DOTALL | re.IGNORECASE
    ),
    "http": re.compile(r"^\s*@(?P<name>[\w.-]+)\s*=\s*(?P<value>.*)", re.DOTALL),
}
_PS_HEADER_UPDATE = re.compile(r"(?i)^\s*\$(?P<name>\w+)(?:\.Add\s*\(|\[|\.Authorization\s*=)")
_PRINTF_INTO = re.compile(r"^\s*printf\s+-v\s+(?P<name>[A-Za-z_]\w*)")
_DOCKER_ENV = re.compile(r"^\s*(?:ENV|ARG)\s+(?P<name>[A-Za-z_]\w*)(?:=|\s+)(?P<value>.*)", re.DOTALL)
_SHELL_PAIR = re.compile(r"(?P<name>[A-Za-z_]\w*)=")
_READ_INTO = re.compile(r"^\s*read\b.*?\s(?P<name>[A-Za-z_]\w*)\s*$", re.MULTILINE)
_KEY_TYPE = {"APP_KEY": ("AppKey",), "USER_KEY": ("Bearer",), "BEARER": ("Bearer",)}

# --- targets ---------------------------------------------------------------------------------

_URL = re.compile(
    r"""(?ix)
    (?: https?:// | \$\{\w+\} | \$env:\w+ | \$\w+ | \{\{\s*[\w.-]+\s*\}\} | \{[\w.]+\} )   # {BASE}: IPython
    (?: <[\w-]+> | [^\s"'`<>|;\\)] )*
    """
)
_URL_SHAPE = re.compile(r"(?i)https?://|/|\{[^{}]*\}/")
_ANGLE = re.compile(r"<([A-Za-z][\w-]*)>")
_METHOD_RULES = (
    re.compile(r"(?i)-Method\s+[\"']?(?P<m>[A-Za-z]+)"),
    re.compile(r"(?:\s|^)(?:-X\s*|--request[ =])[\"']?(?P<m>[A-Za-z]+)"),
    re.compile(r"(?i)--method=[\"']?(?P<m>[A-Za-z]+)"),
    re.compile(r"\b(?:http|https|xh)\s+(?:-\S+\s+)*(?P<m>GET|POST|PUT|PATCH|DELETE|HEAD)\b"),
)
_IMPLIED_METHODS = (
    (re.compile(r"(?:\s|^)(?:-d|--data(?:-[\w-]+)?|-F|--form|--json|--post-data|--post-file)(?=[\s=\"'])"),
     "POST"),
    (re.compile(r"(?:\s|^)(?:-T|--upload-file)(?=\s)"), "PUT"),
    (re.compile(r"(?:\s|^)(?:-I|--head)(?=\s)"), "HEAD"),
)
_REQUEST_LINE = re.compile(
    r"^[ \t]*(?P<m>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)[ \t]+(?P<url>\S+)(?:[ \t]+HTTP/[\d.]+)?[ \t]*$"
)
_HOST_HEADER = re.compile(r"(?im)^[ \t]*Host:[ \t]*(?P<host>\S+)")
_EVIDENCE = re.compile(r"\bCELONIS_\w+|\bcontent-cli\b|\bpycelonis\b")
_MAX_JOINED = 60

# --- content-cli (celonis-apis.md §7.3) ------------------------------------------------------

#: `content-cli pull package ...`, `npx @celonis/content-cli config export ...`; the arguments up to `;`/`&&`/`|`.
_CONTENT_CLI = re.compile(
    r"(?:(?<=[\s;&|(`!])|^)(?:npx\s+(?:(?:-y|--yes)\s+)?)?(?:@celonis/)?content-cli(?:\.cmd|\.exe|@[\w.^~-]+)?"
    r"(?=[ \t\n]|$)(?P<args>[^;&|]*)"
)
_PROFILE_OPTION = re.compile(r"(?:^|\s)(?:-p|--profile)(?:[ \t=]+)(?P<name>[^\s\"']+)")
#: The variable pairs content-cli builds a key profile from when no `-p` is given, in its order.
_CONTENT_CLI_ENV = (("TEAM_URL", "API_TOKEN"), ("CELONIS_URL", "CELONIS_API_TOKEN"))
#: (verb, noun without plural s) -> the calls the command makes, (method, path); "*" for any noun.
_CONTENT_CLI_CALLS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("pull", "package"): (("GET", "/package-manager/api/packages/{packageKey}/export"),),
    ("push", "package"): (("POST", "/package-manager/api/packages/import"),),
    ("config", "list"): (("GET", "/package-manager/api/core/packages/export/list"),),
    ("config", "export"): (("GET", "/package-manager/api/core/packages/export/batch"),),
    ("config", "import"): (("POST", "/package-manager/api/core/packages/import/batch"),),
    ("config", "*"): (("GET", "/package-manager/api/core/packages/export/list"),),
    ("export", "data-pool"): (("GET", "/integration/api/pools/{poolId}/export"),),
    ("import", "data-pool"): (("POST", "/integration/api/pool/batch-import"),),
    ("list", "data-pool"): (("GET", "/integration/api/pools"),),
    ("get", "connection"): (("GET", "/integration/api/pools/{poolId}/data-sources/{connectionId}"),),
    ("set", "connection"): (("PUT", "/integration/api/pools/{poolId}/data-sources/{connectionId}"),),
    ("pull", "skill"): (("GET", "/action-engine/api/projects/{projectId}/skills/{skillId}"),),
    ("push", "skill"): (("POST", "/action-engine/api/projects/{projectId}/skills"),),
    ("export", "action-flow"): (("POST", "/ems-automation/api/root/{packageId}/export/assets"),),
    ("import", "action-flow"): (("POST", "/ems-automation/api/root/{packageId}/import/assets"),),
}
_CONTENT_CLI_NOTE = (
    "content-cli builds a key profile from {url} + {token} when no -p profile is given: there is no "
    "environment form for OAuth. Write a 'Client Credentials' profile at run time from CELONIS_CLIENT_ID / "
    "CELONIS_CLIENT_SECRET secrets (with a scopes array and \"expiresAt\": 0), pass it with -p, then delete {token}"
)


@dataclass(frozen=True)
class _Unit:
    """One logical command (or HTTP request block) with continuation characters blanked."""

    text: str
    #: Line of the first character, before `line_offset`.
    line: int
    method: str = "GET"
    #: For raw HTTP blocks: the request target joined with its Host header.
    request_url: str | None = None

    def line_of(self, pos: int) -> int:
        return self.line + self.text.count("\n", 0, pos)

    def column_of(self, pos: int) -> int:
        return pos - (self.text.rfind("\n", 0, pos) + 1) + 1


@dataclass(frozen=True)
class _Assignment:
    name: str
    value: str
    line: int
    unit: _Unit


@dataclass(frozen=True)
class _Site:
    unit: _Unit
    start: int
    end: int
    scheme: str
    value: str


@dataclass
class _Value:
    source: KeySource
    literal: str | None = None
    notes: list[str] = field(default_factory=list)
    #: True when the value comes from an OAuth token flow: not a static key.
    oauth: bool = False


def _oauth() -> _Value:
    return _Value(KeySource("unknown"), oauth=True)


@dataclass
class _Context:
    """What one scan knows about the text: its units, assignments and options."""

    path: str
    text: str
    dialect: str
    language: str
    line_offset: int
    extra_hosts: tuple[str, ...]
    units: list[_Unit]
    assignments: dict[str, list[_Assignment]]
    fingerprints: dict[str, int] = field(default_factory=dict)
    #: Variables set outside the text (CI `env:`, a Jenkins `environment {}` block): name -> raw value.
    environment: dict[str, str] = field(default_factory=dict)

    @cached_property
    def has_evidence(self) -> bool:
        return celonis_evidence(self.text, self.extra_hosts)


def prefilter(text: str) -> bool:
    """Cheap check: can this file hold a finding at all?"""
    return _KEYWORDS.search(text) is not None


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> list[Finding]:
    """Detector entry point (see migrator.detect); Jenkinsfiles and `.groovy` files go to `scan_groovy_text`."""
    if source.kind == "groovy":
        return scan_groovy_text(source.path, source.text, extra_hosts=extra_hosts)
    return scan_shell_text(source.path, source.text, extra_hosts=extra_hosts, language=source.kind)


def scan_shell_text(path: str, text: str, *, line_offset: int = 0, extra_hosts: Iterable[str] = (),
                    language: str = "shell", dialect: str | None = None,
                    environment: dict[str, str] | None = None) -> list[Finding]:
    """Scan shell, Dockerfile, PowerShell or raw HTTP text; findings carry `language`.

    Used for whole files and by the notebook, Markdown, CI and Jenkinsfile scanners for embedded
    commands, which pass the line of the text's first line minus one as `line_offset`, the
    `dialect` when the language does not tell it, and the variables the pipeline sets around the
    script as `environment` (name -> raw value).
    """
    dialect = dialect or _DIALECTS.get(language, "shell")
    text = text.replace("\r", " ")
    units = _http_units(text) if dialect == "http" else _command_units(text, dialect)
    ctx = _Context(path, text, dialect, language, line_offset, tuple(extra_hosts), units,
                   _assignments(units, dialect), environment=dict(environment or {}))
    findings = [f for unit in units for site in _sites(unit) if (f := _site_finding(ctx, site))]
    findings.extend(_content_cli_findings(ctx))
    findings.extend(_token_assignment_findings(ctx))
    return findings


# --- units -----------------------------------------------------------------------------------


def _command_units(text: str, dialect: str) -> list[_Unit]:
    """Join continued lines into commands; continuation characters become spaces."""
    lines = text.split("\n")
    units: list[_Unit] = []
    i = 0
    while i < len(lines):
        first, buf, depth = i, [lines[i]], max(0, _depth(lines[i], dialect))
        while i + 1 < len(lines) and len(buf) < _MAX_JOINED:
            continued, buf[-1] = _strip_continuation(buf[-1], dialect)
            if not (continued or depth > 0):
                break
            i += 1
            buf.append(lines[i])
            depth = max(0, depth + _depth(lines[i], dialect))
        unit_text = "\n".join(buf)
        units.append(_Unit(unit_text, first + 1, _method(unit_text)))
        i += 1
    return units


def _strip_continuation(line: str, dialect: str) -> tuple[bool, str]:
    """(continues, line with its continuation character blanked)."""
    stripped = line.rstrip()
    mark = "`" if dialect == "powershell" else "\\"
    if stripped.endswith(mark) and not stripped.endswith(mark * 2):
        return True, stripped[:-1] + " " + line[len(stripped):]
    return stripped.endswith(("|", "&&", "||")), line


def _depth(line: str, dialect: str) -> int:
    """Open brackets left on a line, quoted text and comments ignored."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', "", line)
    bare = re.sub(r"(?:^|\s)#.*", "", bare)
    depth = bare.count("(") - bare.count(")")
    if dialect == "powershell":
        depth += bare.count("{") - bare.count("}")
    return depth


def _http_units(text: str) -> list[_Unit]:
    """Raw HTTP: a request line and its headers form a unit; other lines stand alone."""
    lines = text.split("\n")
    units: list[_Unit] = []
    i = 0
    while i < len(lines):
        request = _REQUEST_LINE.match(lines[i])
        first = i
        if request:
            while i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].startswith("###") \
                    and not _REQUEST_LINE.match(lines[i + 1]):
                i += 1
        block = "\n".join(lines[first:i + 1])
        if request:
            units.append(_Unit(block, first + 1, request.group("m"), _request_url(request.group("url"), block)))
        else:
            units.append(_Unit(block, first + 1))
        i += 1
    return units


def _request_url(target: str, block: str) -> str:
    host = _HOST_HEADER.search(block)
    if target.startswith("/") and host:
        return f"https://{host.group('host')}{target}"
    return target


def _method(text: str) -> str:
    for rule in _METHOD_RULES:
        found = rule.search(text)
        if found:
            return found.group("m").upper()
    return next((method for rule, method in _IMPLIED_METHODS if rule.search(text)), "GET")


# --- assignments -----------------------------------------------------------------------------


def _assignments(units: list[_Unit], dialect: str) -> dict[str, list[_Assignment]]:
    """Variable name -> its assignments in the text, in order."""
    found: dict[str, list[_Assignment]] = {}
    for unit in units:
        for name, value in _unit_assignments(unit, dialect):
            found.setdefault(name, []).append(_Assignment(name, value, unit.line, unit))
    return found


def _unit_assignments(unit: _Unit, dialect: str) -> list[tuple[str, str]]:
    """(name, value) pairs a unit assigns; `export A=1 B=2` and Dockerfile `ENV A=1 B=2` give two."""
    if dialect != "shell":
        match = _ASSIGNMENTS[dialect].match(unit.text)
        return [(match.group("name"), match.group("value").strip())] if match else []
    read = _READ_INTO.match(unit.text)
    if read:
        return [(read.group("name"), "read")]
    match = _ASSIGNMENTS["shell"].match(unit.text)
    if match:
        return _pairs(unit.text, match.start("name"))
    spaced = _DOCKER_ENV.match(unit.text)
    return [(spaced.group("name"), _first_word(spaced.group("value")))] if spaced else []


def _pairs(text: str, pos: int) -> list[tuple[str, str]]:
    """Consecutive `NAME=value` words from `pos`, stopping at the first word that is not one."""
    pairs: list[tuple[str, str]] = []
    while True:
        pair = _SHELL_PAIR.match(text, pos)
        if pair is None:
            return pairs
        value = _first_word(text[pair.end():])
        pairs.append((pair.group("name"), value))
        pos = pair.end() + len(value)
        pos += len(text[pos:]) - len(text[pos:].lstrip())


def _first_word(value: str) -> str:
    """A shell assignment's value: a quoted string, a `$(...)`, or the text up to a blank."""
    value = value.strip()
    if value[:1] in "\"'":
        end = _closing_quote(value, 0)
        return value[:end + 1] if end > 0 else value
    token, _ = _token(value, 0)
    return token


def _closing_quote(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\" and quote == '"':
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def _assignment(ctx: _Context, name: str, line: int) -> _Assignment | None:
    """The last assignment of `name` at or before `line`, else the first one after it."""
    found = ctx.assignments.get(name, [])
    before = [a for a in found if a.line <= line]
    return before[-1] if before else (found[0] if found else None)


# --- sites -----------------------------------------------------------------------------------


def _sites(unit: _Unit) -> list[_Site]:
    """Every place the unit sends a static-looking scheme with a value."""
    sites = []
    for match in _HEADER.finditer(unit.text):
        token, end = _token(unit.text, _value_start(unit.text, match))
        formatted = _FIRST_REFERENCE.search(unit.text, end) if token in _FORMAT_SLOTS else None
        token = formatted.group(0) if formatted else token
        if token:
            scheme = "AppKey" if match.group("scheme").lower() == "appkey" else "Bearer"
            sites.append(_Site(unit, match.start(), end, scheme, token))
    for match in _OAUTH2_BEARER.finditer(unit.text):
        token, end = _token(unit.text, match.end())
        if token:
            sites.append(_Site(unit, match.start(), end, "Bearer", token))
    auth = _PS_AUTHENTICATION.search(unit.text)
    token_flag = _PS_TOKEN.search(unit.text)
    if auth and token_flag:
        token, end = _token(unit.text, token_flag.end())
        if token:
            sites.append(_Site(unit, auth.start(), max(end, auth.end()), "Bearer", token))
    return sites


def _value_start(text: str, match: re.Match[str]) -> int:
    """Where the value after a scheme starts; past the quote of `'AppKey '"$KEY"` (shell adjacency)."""
    pos = match.end()
    if match.group("concat") or text[pos:pos + 1] not in ("\"", "'"):
        return pos
    return pos + 1 if text[pos + 1:pos + 2] in ("\"", "'", "$") else len(text)


def _token(text: str, pos: int) -> tuple[str, int]:
    """The value starting at `pos`: a reference, a `$(...)`, a `<placeholder>`, a quoted or bare word."""
    if text.startswith(("${{", "{{"), pos):
        end = text.find("}}", pos)
        return (text[pos:end + 2], end + 2) if end > 0 else ("", pos)
    for opener, closer in (("$(", ")"), ("${", "}"), ("<", ">")):
        if text.startswith(opener, pos):
            end = _balanced(text, pos + len(opener) - 1, opener[-1], closer[-1])
            return (text[pos:end + 1], end + 1) if end > 0 else ("", pos)
    if text[pos:pos + 1] in ("\"", "'"):
        end = _closing_quote(text, pos)
        return (text[pos:end + 1], end + 1) if end > 0 else ("", pos)
    found = _PLAIN_TOKEN.match(text, pos)
    return (found.group(0), found.end()) if found else ("", pos)


def _balanced(text: str, open_pos: int, opener: str, closer: str) -> int:
    depth = 0
    for i in range(open_pos, len(text)):
        if text[i] == opener:
            depth += 1
        elif text[i] == closer:
            depth -= 1
            if depth == 0:
                return i
    return -1


# --- values ----------------------------------------------------------------------------------


def _resolve(ctx: _Context, token: str, line: int, depth: int = 0, *, expression: bool = False) -> _Value:
    """Where a value comes from (`oauth` set when it comes from an OAuth token flow).

    `expression` marks a PowerShell right-hand side, where an unquoted word is a command,
    not a literal.
    """
    value = _unquote(token)
    if _OAUTH_TEXT.search(value):
        return _oauth()
    if value.startswith("$(") and value.endswith(")"):
        return _command_source(ctx, value[2:-1], line, depth)
    reference = _reference_source(ctx, value, line, depth)
    if reference is not None:
        return reference
    if expression and value == token.strip():
        return _command_source(ctx, value, line, depth)
    return _Value(KeySource("literal"), value)


def _unquote(token: str) -> str:
    token = token.strip()
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1].strip()
    return token


def _reference_source(ctx: _Context, value: str, line: int, depth: int) -> _Value | None:
    """The source of `$VAR`-like references; None when `value` is not a reference."""
    gh = _GH_EXPR.match(value)
    if gh:
        kinds = {"secrets": "secret-reference", "env": "env", "vars": "config"}
        return _Value(KeySource(kinds.get(gh.group("ns"), "unknown"), gh.group("name")))
    for pattern, kind in ((_PS_ENV, "env"), (_HTTP_ENV, "env"), (_CMD_VAR, "env")):
        found = pattern.match(value)
        if found:
            name = next(g for g in found.groups() if g)
            return _Value(KeySource(kind, name))
    positional = _POSITIONAL.match(value)
    if positional:
        return _Value(KeySource("cli-argument", value))
    template = _TEMPLATE_VAR.match(value)
    if template:
        name = template.group("name")
        return _variable(ctx, name, line, depth, unassigned=KeySource("config", name))
    prop = _PS_PROPERTY.match(value) if ctx.dialect == "powershell" else None
    if prop:
        return _property_source(ctx, prop.group("name"), prop.group("path"), line, depth)
    var = _SH_VAR.match(value)
    if var:
        return _shell_variable(ctx, var, line, depth)
    return None


def _shell_variable(ctx: _Context, var: re.Match[str], line: int, depth: int) -> _Value:
    name = var.group("braced") or var.group("plain")
    if ctx.dialect == "powershell":
        return _variable(ctx, name, line, depth, unassigned=_ps_unassigned(ctx, name))
    resolved = _variable(ctx, name, line, depth, unassigned=KeySource("env", name))
    fallback = _default_literal(var.group("op"))
    if resolved.source == KeySource("env", name) and fallback:
        resolved.literal = fallback
        resolved.notes.append(f"env var {name} has a literal fallback in the file")
    return resolved


def _default_literal(op: str | None) -> str | None:
    """The literal default of `${VAR:-default}`, if it is not itself a reference."""
    if not op or op.lstrip(":")[:1] not in "-=":
        return None
    default = _unquote(op.lstrip(":")[1:])
    return default if default and not default.startswith("$") else None


def _variable(ctx: _Context, name: str, line: int, depth: int, *, unassigned: KeySource) -> _Value:
    """Follow a variable to its assignment in the text; `unassigned` when there is none."""
    assigned = _assignment(ctx, name, line)
    if assigned is None or depth >= 3:
        return _Value(unassigned)
    if assigned.value == "read":
        return _Value(KeySource("user-input", name))
    resolved = _resolve(ctx, assigned.value, assigned.line, depth + 1, expression=ctx.dialect == "powershell")
    if resolved.source.kind == "literal":
        resolved.notes.append(f"the key is assigned to {name} at line {assigned.line + ctx.line_offset}")
    return resolved


def _ps_unassigned(ctx: _Context, name: str) -> KeySource:
    """A PowerShell variable never assigned in the file: a script parameter, or unknown."""
    declared = re.compile(rf"(?i)\${re.escape(name)}\b")
    for unit in ctx.units:
        if re.match(r"(?i)\s*param\s*\(", unit.text) and declared.search(unit.text):
            return KeySource("cli-argument", name)
    return KeySource("unknown", name)


def _property_source(ctx: _Context, name: str, path: str, line: int, depth: int) -> _Value:
    """`$cfg.celonis.appKey`: a config value when `$cfg` was read from a file or parsed."""
    assigned = _assignment(ctx, name, line)
    if assigned is None:
        return _Value(KeySource("unknown", name + path))
    if _OAUTH_TEXT.search(assigned.value) or _OAUTH_TEXT.search(path):
        return _oauth()
    notes = []
    read = _FILE_READ.search(assigned.value)
    if read:
        notes.append(f"read from {read.group('file')}")
    if read or _CONFIG_READ.search(assigned.value):
        return _Value(KeySource("config", path.lstrip(".")), notes=notes)
    return _Value(KeySource("unknown", name + path))


def _command_source(ctx: _Context, command: str, line: int, depth: int) -> _Value:
    """The source of a value produced by a command (`$(cat key.txt)`, `Read-Host`, `vault kv get`)."""
    if _OAUTH_TEXT.search(command):
        return _oauth()
    if _USER_INPUT.search(command):
        return _Value(KeySource("user-input"))
    secret = _SECRET_STORE.search(command)
    if secret:
        return _Value(KeySource("secret-reference", _secret_name(command) or secret.group(0)))
    read = _FILE_READ.search(command)
    if read:
        return _Value(KeySource("file", read.group("file")))
    reference = _FIRST_REFERENCE.search(command)
    if reference:
        return _resolve(ctx, reference.group(0), line, depth + 1)
    return _Value(KeySource("unknown"))


def _secret_name(command: str) -> str | None:
    """The secret a store command reads (`--secret-id x`, `-Name x`, `secret/celonis`), not the whole command."""
    named = _SECRET_ARGUMENT.search(command)
    if named:
        return named.group("name")
    paths = _SECRET_PATH.findall(command)
    return paths[-1] if paths else None


# --- findings --------------------------------------------------------------------------------


def _site_finding(ctx: _Context, site: _Site) -> Finding | None:
    line = site.unit.line_of(site.start)
    value = _resolve(ctx, site.value, line)
    if value.oauth or _is_oauth_literal(ctx, site.scheme, value):
        return None
    endpoints, foreign = _targets(ctx, site)
    notes = list(value.notes)
    if endpoints:
        confidence = "medium" if site.scheme == "Bearer" and value.source.kind == "unknown" else "high"
    elif foreign or not ctx.has_evidence:
        return None
    else:
        confidence = "medium" if site.scheme == "AppKey" else "low"
        notes.append("no Celonis call found for this header in the file; scopes cannot be planned from it")
    if value.source.kind == "env" and _OAUTHISH_NAME.search(value.source.name or ""):
        confidence = "low"
    return _finding(ctx, _RULE_BY_SCHEME[site.scheme], site.unit, (site.start, site.end), (site.scheme,),
                    value, endpoints, confidence, notes)


def _is_oauth_literal(ctx: _Context, scheme: str, value: _Value) -> bool:
    """A JWT, or a Bearer placeholder that names an access token or follows a token call."""
    literal = value.literal if value.source.kind == "literal" else None
    if literal is None:
        return False
    kind = classify_literal(literal)
    if kind == "jwt":
        return True
    if scheme == "Bearer" and kind == "placeholder":
        return bool(_OAUTHISH_NAME.search(literal) or "oauth2/token" in ctx.text)
    return False


def _targets(ctx: _Context, site: _Site) -> tuple[list[Endpoint], bool]:
    """(Celonis endpoints, whether a non-Celonis host was the only target seen)."""
    endpoints: list[Endpoint] = []
    foreign = False
    for unit in _carrier_units(ctx, site):
        for url, pos in _urls(ctx, unit):
            mapped = ep.map_endpoint(unit.method, url, line=unit.line_of(pos) + ctx.line_offset,
                                     extra_hosts=ctx.extra_hosts)
            if mapped is not None:
                endpoints.append(mapped)
            elif foreign_host(url, ctx.extra_hosts):
                foreign = True
    return _dedupe(endpoints), foreign and not endpoints


def _carrier_units(ctx: _Context, site: _Site) -> list[_Unit]:
    """The site's unit, plus every unit using the variable the header is stored in."""
    name = _header_variable(ctx, site)
    if name is None:
        return [site.unit]
    uses = re.compile(rf"\$\{{?{re.escape(name)}\b|\{{\{{\s*{re.escape(name)}\s*\}}\}}")
    return [site.unit] + [u for u in ctx.units if u is not site.unit and uses.search(u.text)]


def _header_variable(ctx: _Context, site: _Site) -> str | None:
    """The variable a header is stored in: `H="Authorization: ..."`, `$h = @{...}`, `$h.Add(...)`."""
    assigned = _ASSIGNMENTS[ctx.dialect].match(site.unit.text)
    if assigned is not None and assigned.start("value") <= site.start:
        return assigned.group("name")
    stored = (_PS_HEADER_UPDATE if ctx.dialect == "powershell" else _PRINTF_INTO).match(site.unit.text)
    return stored.group("name") if stored else None


def _urls(ctx: _Context, unit: _Unit) -> list[tuple[str, int]]:
    """URL-like strings of a unit with variables resolved from the text: (url, offset)."""
    if unit.request_url is not None:
        return [(_substitute(ctx, unit.request_url, unit.line), 0)]
    out = []
    for found in _URL.finditer(unit.text):
        url = _substitute(ctx, found.group(0), unit.line)
        if _URL_SHAPE.match(ep.normalise_placeholders(url)):
            out.append((url, found.start()))
    return out


def _substitute(ctx: _Context, url: str, line: int) -> str:
    """Replace `$VAR`/`{{var}}` by values assigned in the text (URLs and IDs), `<x>` by `{x}`."""

    def value_of(found: re.Match[str]) -> str:
        name = next(g for g in found.groups() if g)
        assigned = _assignment(ctx, name, line)
        if assigned is None:
            return found.group(0)
        value = _unquote(assigned.value)
        plain = re.fullmatch(r"[\w.:/{}<>-]+", value) and classify_literal(value) != "real-shape"
        return value if plain else found.group(0)

    url = re.sub(r"\$\{(\w+)\}|\$(?!env:)(\w+)|\{\{\s*([\w.-]+)\s*\}\}", value_of, url)
    return _ANGLE.sub(r"{\1}", url)


def _finding(ctx: _Context, rule_id: str, unit: _Unit, span: tuple[int, int], schemes: tuple[str, ...],
             value: _Value, endpoints: list[Endpoint], confidence: str, notes: list[str]) -> Finding:
    start_line = unit.line_of(span[0]) + ctx.line_offset
    content = " ".join(unit.text[span[0]:span[1]].split())
    occurrence = ctx.fingerprints.get(content, 0)
    ctx.fingerprints[content] = occurrence + 1
    return make_finding(
        rule_id=rule_id,
        path=ctx.path,
        start=(start_line, unit.column_of(span[0])),
        end=(unit.line_of(span[1]) + ctx.line_offset, unit.column_of(span[1])),
        schemes=schemes,
        key_source=value.source,
        content=content,
        endpoints=endpoints,
        literal=value.literal,
        confidence=confidence,
        language=ctx.language,
        related=sorted({f"{e.line}:1" for e in endpoints if e.line and e.line != start_line}),
        notes=notes,
        occurrence=occurrence,
    )


def _token_assignment_findings(ctx: _Context) -> list[Finding]:
    """`export CELONIS_API_TOKEN=<literal>` (or ENV, $env:, %env): pycelonis and content-cli read it implicitly.

    Reported even when a header or a content-cli command in the text also uses it: the assignment
    is where the key is written.
    """
    findings = []
    for assigned in ctx.assignments.get("CELONIS_API_TOKEN", []):
        value = _resolve(ctx, assigned.value, assigned.line, expression=ctx.dialect == "powershell")
        if value.source.kind != "literal" or not value.literal or classify_literal(value.literal) == "jwt":
            continue
        schemes = _key_type_schemes(ctx, assigned.line)
        notes = ["the scheme depends on CELONIS_KEY_TYPE where the key is used"] if len(schemes) > 1 else []
        unit = assigned.unit
        findings.append(_finding(ctx, _TOKEN_ENV_RULE, unit, (0, len(unit.text.rstrip())), schemes,
                                 value, [], "medium", notes))
    return findings


def _key_type_schemes(ctx: _Context, line: int) -> tuple[str, ...]:
    """Schemes named by a CELONIS_KEY_TYPE assignment in the text; both when there is none."""
    assigned = _assignment(ctx, "CELONIS_KEY_TYPE", line)
    value = _unquote(assigned.value).upper() if assigned else ""
    return _KEY_TYPE.get(value, ("AppKey", "Bearer"))


# --- content-cli key profiles from the environment ------------------------------------------------


@dataclass(frozen=True)
class _ContentCliCommand:
    unit: _Unit
    start: int
    end: int
    words: tuple[str, ...]


def _content_cli_commands(ctx: _Context) -> list[_ContentCliCommand]:
    """content-cli commands run without `-p` (content-cli then reads its profile from the environment)."""
    out = []
    for unit in ctx.units:
        for found in _CONTENT_CLI.finditer(unit.text):
            line_start = unit.text.rfind("\n", 0, found.start()) + 1
            if re.search(r"(?:^|\s)#", unit.text[line_start:found.start()]):
                continue  # in a comment
            args = found.group("args")
            if _PROFILE_OPTION.search(args):
                continue
            words: list[str] = []
            for word in args.split():
                if word.startswith("-") or len(words) == 2:
                    break
                words.append(word.lower())
            end = found.start("args") + len(args.rstrip())
            out.append(_ContentCliCommand(unit, found.start(), end, tuple(words)))
    return out


#: Where content-cli's variable is set: its assignment in the text, or True when the pipeline sets it.
_Setting = _Assignment | bool


def _set_before(ctx: _Context, name: str, line: int) -> _Setting | None:
    """The assignment of `name` at or before `line`; True when the pipeline sets it; else None."""
    before = [a for a in ctx.assignments.get(name, []) if a.line <= line]
    if before:
        return before[-1]
    return True if name in ctx.environment else None


def _content_cli_calls(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    verb = words[0] if words else ""
    noun = words[1].rstrip("s") if len(words) > 1 else ""
    if verb == "config":
        return _CONTENT_CLI_CALLS.get((verb, noun), _CONTENT_CLI_CALLS[("config", "*")])
    return _CONTENT_CLI_CALLS.get((verb, noun), ())


def _content_cli_findings(ctx: _Context) -> list[Finding]:
    """TEAM_URL + API_TOKEN (or CELONIS_URL + CELONIS_API_TOKEN) set before content-cli runs: a key profile.

    One finding per token variable, at its first command, with the calls of every command that uses it.
    """
    groups: dict[tuple[str, int], list[tuple[_ContentCliCommand, _Setting, _Setting]]] = {}
    for command in _content_cli_commands(ctx):
        line = command.unit.line_of(command.start)
        for url_name, token_name in _CONTENT_CLI_ENV:
            url = _set_before(ctx, url_name, line)
            token = _set_before(ctx, token_name, line)
            if url is not None and token is not None:
                key = (token_name, token.line if isinstance(token, _Assignment) else 0)
                groups.setdefault(key, []).append((command, url, token))
                break
    return [f for (token_name, _), commands in groups.items()
            if (f := _content_cli_finding(ctx, token_name, commands)) is not None]


def _content_cli_finding(ctx: _Context, token_name: str,
                         commands: list[tuple[_ContentCliCommand, _Setting, _Setting]]) -> Finding | None:
    first, url, token = commands[0]
    line = first.unit.line_of(first.start)
    url_name = "TEAM_URL" if token_name == "API_TOKEN" else "CELONIS_URL"
    if isinstance(token, _Assignment):
        value = _resolve(ctx, token.value, token.line, expression=ctx.dialect == "powershell")
    else:
        value = _resolve(ctx, ctx.environment.get(token_name, ""), 0) if ctx.environment.get(token_name) \
            else _Value(KeySource("env", token_name))
    if value.oauth:
        return None
    notes = [_CONTENT_CLI_NOTE.format(url=url_name, token=token_name), *value.notes]
    names = [f"env:{token_name}"]
    # A literal CELONIS_API_TOKEN is reported (as a leak) where it is assigned, by the assignment rule.
    literal = value.literal if value.source.kind in ("literal", "env") and token_name != "CELONIS_API_TOKEN" \
        else None
    if isinstance(token, _Assignment):
        where = token.line + ctx.line_offset
        if value.source.kind == "literal":
            notes.append(f"{token_name} is assigned a literal at line {where}")
        elif value.source != KeySource("env", token_name):
            notes.append(f"{token_name} is set at line {where} from {_describe(value.source)}")
    if value.source.kind == "env" and value.source.name and value.source.name != token_name:
        names.append(f"env:{value.source.name}")
    elif value.source.kind == "secret-reference" and value.source.name:
        names.append(f"secret:{value.source.name}")
    base = _content_cli_team(ctx, url.value if isinstance(url, _Assignment) else ctx.environment.get(url_name), line)
    endpoints: list[Endpoint] = []
    related: set[str] = set()
    verbs: list[str] = []
    for command, _, assigned in commands:
        command_line = command.unit.line_of(command.start) + ctx.line_offset
        related.add(f"{command_line}:1")
        verbs.append(" ".join(command.words) or "(no command)")
        for method, path in _content_cli_calls(command.words):
            mapped = ep.map_endpoint(method, ep.join_url(base, path) if base else path, line=command_line,
                                     extra_hosts=ctx.extra_hosts)
            if mapped is not None:
                endpoints.append(mapped)
        if isinstance(assigned, _Assignment):
            related.add(f"{assigned.line + ctx.line_offset}:1")
    notes.append("content-cli " + ", ".join(dict.fromkeys(verbs)) + " run with this key profile")
    if not endpoints:
        notes.append("no content-cli command with known calls: scopes cannot be planned from it")
    notes.append("content-cli probes the scheme of an environment key profile: Bearer, then AppKey")
    start_line = line + ctx.line_offset
    related.discard(f"{start_line}:1")
    content = f"content-cli {token_name} " + " ".join(first.unit.text[first.start:first.end].split())
    occurrence = ctx.fingerprints.get(content, 0)
    ctx.fingerprints[content] = occurrence + 1
    finding = make_finding(
        rule_id=_CONTENT_CLI_RULE,
        path=ctx.path,
        start=(start_line, first.unit.column_of(first.start)),
        end=(first.unit.line_of(first.end) + ctx.line_offset, first.unit.column_of(first.end)),
        schemes=("AppKey", "Bearer"),
        key_source=KeySource("env", token_name),
        content=content,
        endpoints=_dedupe(endpoints),
        literal=literal,
        confidence="high",
        language=ctx.language,
        related=sorted(related),
        notes=notes,
        occurrence=occurrence,
    )
    return replace(finding, credential_names=tuple(dict.fromkeys(names)))


def _content_cli_team(ctx: _Context, raw: str | None, line: int) -> str | None:
    """The team origin TEAM_URL / CELONIS_URL holds, when the text (or the pipeline) shows a concrete one."""
    if not raw:
        return None
    value = _substitute(ctx, _unquote(raw), line)
    if "$" in value or "{" in value:
        return None
    host, _ = ep.normalise(value if "://" in value else f"https://{value}")
    return f"https://{host}" if host and ep.is_team_host(host, ctx.extra_hosts) else None


def _describe(source: KeySource) -> str:
    return f"{source.kind} {source.name}" if source.name else source.kind


# --- Jenkinsfiles and Groovy -----------------------------------------------------------------

#: `sh '...'`, `sh """..."""`, `sh(script: '...', returnStdout: true)`, `bat`, `powershell`, `pwsh` steps.
_GROOVY_STEP = re.compile(
    r"""(?<![\w.$])(?P<step>sh|bat|powershell|pwsh)\b[ \t]*(?:\([ \t\n]*)?
        (?:(?:label|encoding|returnStdout|returnStatus)\s*:\s*(?:'[^'\n]*'|"[^"\n]*"|\w+)\s*,\s*)*
        (?:script\s*:\s*)?(?P<q>'{3}|"{3}|'|")""",
    re.VERBOSE,
)
_GROOVY_DIALECT = {"sh": "shell", "bat": "shell", "powershell": "powershell", "pwsh": "powershell"}
#: `${env.NAME}` / `${params.NAME}` in a GString: the pipeline's environment and parameters.
_GROOVY_ENV = re.compile(r"\$\{(?:env|params)\.(\w+)\}|\$(?:env|params)\.(\w+)\b")
_GROOVY_BLOCK = re.compile(r"\b(?P<kind>environment)\s*\{|\bwithEnv\s*\(\s*\[|\bwithCredentials\s*\(\s*\[")
_GROOVY_ASSIGN = re.compile(
    r"""^[ \t]*(?P<name>[A-Za-z_]\w*)[ \t]*=[ \t]*(?P<value>credentials\(\s*['"](?P<id>[^'"]+)['"]\s*\)|.+?)[ \t]*$""",
    re.MULTILINE,
)
_GROOVY_WITH_ENV = re.compile(r"""['"](?P<name>[A-Za-z_]\w*)=(?P<value>[^'"]*)['"]""")
_GROOVY_BINDING = re.compile(r"\b(?P<kind>string|usernamePassword|file|sshUserPrivateKey|certificate|"
                             r"usernameColonPassword|\w+)\s*\((?P<args>[^()]*)\)")
_GROOVY_ARG = re.compile(r"""(?P<key>\w+)\s*:\s*['"](?P<value>[^'"]*)['"]""")
_BINDING_VARIABLES = ("variable", "passwordVariable", "usernameVariable", "keyFileVariable")


@dataclass(frozen=True)
class _Credential:
    """A Jenkins credential bound to a variable (`withCredentials`, `credentials()` in `environment`)."""

    credential: str
    line: int
    how: str


def scan_groovy_text(path: str, text: str, *, extra_hosts: Iterable[str] = ()) -> list[Finding]:
    """A Jenkinsfile or Groovy script: each `sh`/`bat`/`powershell` step is scanned as a script.

    Variables from `environment {}`, `withEnv` and `withCredentials` are the steps' environment; a
    key bound from a Jenkins credential is that credential (a secret reference), not an env var.
    """
    text = _groovy_without_comments(text.replace("\r", " "))
    environment, credentials = _groovy_environment(text)
    findings: list[Finding] = []
    for found in _GROOVY_STEP.finditer(text):
        body_start = found.end()
        body_end = _groovy_string_end(text, body_start, found.group("q"))
        if body_end < 0:
            continue
        line = text.count("\n", 0, body_start) + 1
        column = body_start - (text.rfind("\n", 0, body_start) + 1)
        script = " " * column + _groovy_unescape(text[body_start:body_end], found.group("q"))
        findings += scan_shell_text(path, script, line_offset=line - 1, extra_hosts=extra_hosts,
                                    language="groovy", dialect=_GROOVY_DIALECT[found.group("step")],
                                    environment={**environment, **{k: "" for k in credentials}})
    return [_bound(f, credentials) for f in findings]


_GROOVY_TOKEN = re.compile(r"""'{3}.*?'{3}|"{3}.*?"{3}|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/""",
                           re.DOTALL)


def _groovy_without_comments(text: str) -> str:
    """`//` and `/* */` comments blanked (newlines kept); strings, which may hold `//`, untouched."""
    def blank(found: re.Match[str]) -> str:
        token = found.group(0)
        return re.sub(r"[^\n]", " ", token) if token.startswith("/") else token
    return _GROOVY_TOKEN.sub(blank, text)


def _groovy_string_end(text: str, start: int, quote: str) -> int:
    """Offset of the closing quote of a Groovy string whose body starts at `start`; -1 if none."""
    if len(quote) == 3:
        return text.find(quote, start)
    i = start
    while i < len(text) and text[i] != "\n":
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def _groovy_unescape(body: str, quote: str) -> str:
    """The script the step runs: Groovy escapes undone keeping columns, `${env.X}` as `${X}`."""
    body = re.sub(r"\\([\\'\"$])", r" \1", body)
    return _GROOVY_ENV.sub(lambda m: "${" + (m.group(1) or m.group(2)) + "}", body) if quote[0] == '"' else body


def _groovy_environment(text: str) -> tuple[dict[str, str], dict[str, _Credential]]:
    """Variables set around the steps (`environment {}`, `withEnv`), and those bound to credentials."""
    environment: dict[str, str] = {}
    credentials: dict[str, _Credential] = {}
    for block in _GROOVY_BLOCK.finditer(text):
        opener = "{" if block.group("kind") else "["
        end = _balanced(text, block.end() - 1, opener, "}" if opener == "{" else "]")
        body = text[block.end():end if end > 0 else len(text)]
        line = text.count("\n", 0, block.start()) + 1
        if block.group("kind"):
            for assigned in _GROOVY_ASSIGN.finditer(body):
                name = assigned.group("name")
                if assigned.group("id"):
                    at = line + text.count("\n", block.start(), block.end() + assigned.start("name"))
                    credentials[name] = _Credential(assigned.group("id"), at, "credentials() in environment")
                else:
                    environment[name] = assigned.group("value")
        elif text.startswith("withEnv", block.start()):
            for pair in _GROOVY_WITH_ENV.finditer(body):
                environment[pair.group("name")] = pair.group("value")
        else:
            for binding in _GROOVY_BINDING.finditer(body):
                args = {m.group("key"): m.group("value") for m in _GROOVY_ARG.finditer(binding.group("args"))}
                for key in _BINDING_VARIABLES:
                    if args.get(key) and args.get("credentialsId"):
                        at = line + text.count("\n", block.start(), block.end() + binding.start())
                        credentials[args[key]] = _Credential(args["credentialsId"], at, "withCredentials")
    return environment, credentials


def _bound(finding: Finding, credentials: dict[str, _Credential]) -> Finding:
    """A key read from a variable bound to a Jenkins credential comes from that credential."""
    name = finding.key_source.name
    if finding.key_source.kind != "env" or name not in credentials:
        return finding
    bound = credentials[name]
    note = f"{name} is bound to Jenkins credential '{bound.credential}' ({bound.how}, line {bound.line})"
    return replace(
        finding,
        key_source=KeySource("secret-reference", bound.credential),
        notes=(*finding.notes, note),
        related=tuple(sorted({*finding.related, f"{bound.line}:1"})),
        credential_names=tuple(dict.fromkeys((*finding.credential_names, f"env:{name}",
                                              f"secret:{bound.credential}"))),
    )


# --- helpers shared with the other text detectors --------------------------------------------


def celonis_evidence(text: str, extra_hosts: Iterable[str] = ()) -> bool:
    """Other Celonis evidence in a text: a team host (templated or not), CELONIS_* names, Celonis tools."""
    if _EVIDENCE.search(text):
        return True
    concrete = re.sub(r"\{[^{}]*\}", "x", ep.normalise_placeholders(_ANGLE.sub(r"{\1}", text)))
    hosts = list(extra_hosts)
    if any(h.lower() in concrete.lower() for h in hosts):
        return True
    return any(ep.is_team_host(m.group(0), hosts) for m in ep.TEAM_HOST.finditer(concrete))


def foreign_host(url: str, extra_hosts: Iterable[str] = ()) -> bool:
    """True when `url` names a concrete host that is not a Celonis team host."""
    host, _ = ep.normalise(url)
    return host is not None and "{" not in host and not ep.is_team_host(host, extra_hosts)


def _dedupe(endpoints: list[Endpoint]) -> list[Endpoint]:
    seen: dict[tuple[str, str | None, str], Endpoint] = {}
    for e in endpoints:
        seen.setdefault((e.method, e.url, e.path), e)
    return sorted(seen.values(), key=lambda e: (e.path, e.method, e.url or ""))
