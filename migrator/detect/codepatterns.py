"""Find static Celonis keys in JavaScript/TypeScript, Java, C#, Go, Kotlin and Scala with rules as data.

The header setters are regexes in the `patterns` of `rules/detect/celonis-appkey-header.yaml`
and `celonis-bearer-static-key.yaml` (one entry: `lang` and `regex`); the rule decides the
scheme. A regex ends where the key value starts: inside the string that holds the scheme
(its opening quote is the named group `q`: `"AppKey " + key`, `` `AppKey ${key}` ``,
`"AppKey %s", key`) or before an argument (`setBearerAuth(`, `AuthenticationHeaderValue("AppKey", `).

Then, per site:
- *Value*: env accessors (`process.env.X`, `System.getenv("X")`, ...), config reads, literals
  and identifiers declared in the file; a value from a token response (`access_token`,
  `/oauth2/token` in the file for an otherwise unknown Bearer value) is OAuth, not reported.
- *Context*: the file must hold a team host or a Celonis service path in a string or template
  literal; a site whose nearest URL is another vendor's host is not reported.
- *Endpoints*: every Celonis URL or path string of the file (concatenations folded), with the
  nearest visible HTTP method, goes to one site: the site in the same statement (a Java builder
  chain, `fetch(url, {headers})`); else the site linked by a variable (`req2.Header.Set` for
  `req2, _ := http.NewRequest(...)`, `http.GetStringAsync` after `http.DefaultRequestHeaders`),
  following one assignment (`url := ...` then `http.NewRequest("GET", url, nil)`); else, in the
  same block, the next site when no other URL comes between, or the last site before; else the
  nearest site by line.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from migrator import endpoints as ep
from migrator.detect.shell import foreign_host
from migrator.errors import RuleFileError
from migrator.findings import make_finding
from migrator.redact import is_jwt
from migrator.ruleset import Rule, default_ruleset
from migrator.types import Endpoint, Finding, KeySource, SourceFile

#: Languages whose rules live in the rule files' `patterns`.
CODE_LANGUAGES = ("javascript", "java", "csharp", "go", "kotlin", "scala")
#: The rules that carry code patterns, and the scheme each one reports.
SCHEME_BY_RULE = {"celonis-appkey-header": "AppKey", "celonis-bearer-static-key": "Bearer"}

_KEYWORDS = re.compile(r"(?i)appkey|bearer|authorization|setbearerauth|bearerauth|authenticationheadervalue")

_TOKENS = re.compile(
    r"""(?P<comment>//[^\n]*|/\*.*?\*/)
      | (?P<string>\"\"\".*?\"\"\" | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*' | `(?:[^`\\]|\\.)*`)""",
    re.VERBOSE | re.DOTALL,
)
_INTERPOLATION = re.compile(r"^\$\{(?P<expr>[^}]+)\}|^\$(?P<ident>[A-Za-z_]\w*)")
_CS_INTERPOLATION = re.compile(r"^\{(?P<expr>[^}]+)\}")
_FORMAT_VERB = re.compile(r"^(?:%[-+# 0]*\d*[svdq]|\{0\})")
_FORMAT_VERBS = re.compile(r"%[-+# 0]*\d*[svdq]")

_ENV_ACCESS = re.compile(
    r"""process\.env\.(?P<a>\w+) | process\.env\[\s*["'](?P<b>\w+)["']\s*\] | import\.meta\.env\.(?P<c>\w+)
      | Deno\.env\.get\(\s*["'](?P<d>\w+)["']
      | System\.getenv\(\s*"(?P<e>\w+)"\s*\) | System\.getenv\(\)\[\s*"(?P<f>\w+)"
      | os\.(?:Getenv|LookupEnv)\(\s*"(?P<g>\w+)"\s*\) | Environment\.GetEnvironmentVariable\(\s*"(?P<h>\w+)"
      | sys\.env(?:\.get)?\(\s*"(?P<i>\w+)"\s*\) | sys\.env\.getOrElse\(\s*"(?P<j>\w+)" """,
    re.VERBOSE,
)
_CONFIG_KEY = re.compile(
    r"""(?ix) \b\w*(?:config|configuration|settings|props|properties|options)\w*
        (?: \s*\[\s*"(?P<a>[^"]+)"\s*\] | \s*\.\s*(?:get\w*|GetValue<\w+>)\(\s*"(?P<b>[^"]+)"\s*\) ) """
)
_CONFIG_MEMBER = re.compile(
    r"(?i)^\w*(?:config|configuration|settings|props|properties|options)\w*(?:\s*\.\s*\w+(?:\(\))?)+$"
)
#: `@Value("${celonis.app-key}") private String <name>;` (Kotlin escapes the `$`); format with name=.
_VALUE_ANNOTATION = (
    r"""@Value\(\s*"\\?\$\{{(?P<key>[^}}:"]+)[^"]*"\s*\)\s*"""
    r"""(?:(?:private|protected|public|final|static|lateinit|var|val)\s+)*(?:[\w<>\[\]]+\s+)?{name}\b"""
)
#: `const name = rhs`, `String name = rhs;`, `name := rhs`, `val name: String = rhs`; format with name=.
_DECLARATION = (
    r"(?m)(?<![\w.$]){name}\b[ \t]*(?::[ \t]*[\w<>\[\]?,. ]{{1,60}}?)?"  # name, optional `: Type`
    r"[ \t]*(?::=|=)(?![=>])[ \t]*(?P<rhs>[^;\n]+)"
)
_SECRET_CALL = re.compile(r"""(?i)\bget\w*Secret\w*\(\s*["'](?P<name>[^"']+)""")
_CLI_ARGUMENT = re.compile(r"\bprocess\.argv\[\d+\]|\bos\.Args\[\d+\]|\bargs\[\d+\]")
_USER_INPUT = re.compile(r"(?i)\breadline\b|Console\.ReadLine|\bprompt\(|\breadLine\(\)|\bStdIn\.")
_OAUTH = re.compile(r"(?i)access_?token|oauth|client_?credentials|tokenresponse")
_PLUS = re.compile(r"\s*\+\s*")
_OPERAND = re.compile(r"[\w.$]+(?:\([^()]*\))?")
#: An expression safe to show as a source name: no string literal in it, so no key either.
_PLAIN_NAME = re.compile(r"[\w.$]{1,80}(?:\(\))?")
_IDENT = re.compile(r"^(?:this\.|self\.)?(?P<name>[A-Za-z_$][\w$]*)$")
_LITERAL = re.compile(r"""^(?P<q>["'`])(?P<body>[^"'`$]*)(?P=q)$""")

_METHOD_HINTS = (
    re.compile(r"""(?i)\bmethod\s*[:=]\s*["'`](?P<m>GET|POST|PUT|PATCH|DELETE|HEAD)\b"""),
    re.compile(r"(?:HttpMethod\.|http\.Method)(?P<m>(?i:get|post|put|patch|delete|head))\b"),
    re.compile(r"\bnew\s+Http(?P<m>Get|Post|Put|Patch|Delete|Head)\b"),
    re.compile(r"""["'`](?P<m>GET|POST|PUT|PATCH|DELETE|HEAD)["'`]"""),
    re.compile(r"(?i)\.(?P<m>get|post|put|patch|delete|head)(?:Async|StringAsync|ByteArrayAsync|StreamAsync|"
               r"AsJsonAsync|ForObject|ForEntity)?\s*[(<]"),
)


@dataclass(frozen=True)
class CodePattern:
    """One header-setter regex of a rule file, for some languages."""

    rule_id: str
    scheme: str
    languages: tuple[str, ...]
    regex: re.Pattern[str]


@dataclass
class _Value:
    source: KeySource
    literal: str | None = None
    oauth: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Site:
    pattern: CodePattern
    start: int
    end: int
    value: _Value


@dataclass(frozen=True)
class _Target:
    """A URL or path string of the file: a Celonis endpoint, or another vendor's URL."""

    pos: int
    line: int
    endpoint: Endpoint | None


@dataclass
class _File:
    path: str
    text: str
    language: str
    extra_hosts: tuple[str, ...]
    comments: list[tuple[int, int]]
    #: Start -> end of every string literal outside comments.
    strings: dict[int, int]
    #: Offsets of the newlines, so that a line number is a bisection (bundles are megabytes).
    newlines: list[int]
    fingerprints: dict[str, int] = field(default_factory=dict)

    def line_of(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def column_of(self, pos: int) -> int:
        return pos - (self.text.rfind("\n", 0, pos) + 1) + 1

    def in_comment(self, pos: int) -> bool:
        i = bisect.bisect_right(self.comments, (pos, len(self.text))) - 1
        return i >= 0 and self.comments[i][0] <= pos < self.comments[i][1]


def prefilter(text: str) -> bool:
    """Cheap check: can this file hold a finding at all?"""
    return _KEYWORDS.search(text) is not None


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> list[Finding]:
    """Detector entry point (see migrator.detect)."""
    return scan_code_text(source.path, source.text, source.kind, extra_hosts=extra_hosts)


def scan_code_text(path: str, text: str, language: str, *, extra_hosts: Iterable[str] = ()) -> list[Finding]:
    """Findings of the code patterns of `language` in `text`."""
    comments, strings = _tokens(text)
    newlines = [m.start() for m in re.finditer("\n", text)]
    src = _File(path, text, language, tuple(extra_hosts), comments, strings, newlines)
    folded = {start: _fold(src, start) for start in strings}
    targets = _targets(src, folded)
    if not any(t.endpoint for t in targets) and not _team_hosts(src, list(folded.values())):
        return []
    sites = [s for s in _sites(src) if not s.value.oauth and not _oauth_nearby(src, s)]
    linker = _Linker(src, sites, [t.pos for t in targets])
    owners = [linker.owner(t.pos) for t in targets]
    sites = [s for i, s in enumerate(sites) if not _aimed_elsewhere(s, targets, [t for t, o in zip(targets, owners)
                                                                                   if o == i])]
    kept = {id(s): n for n, s in enumerate(sites)}
    assigned: list[list[Endpoint]] = [[] for _ in sites]
    for t, owner in zip(targets, owners):
        site = linker.sites[owner] if owner is not None else None
        if t.endpoint and site is not None and id(site) in kept:
            assigned[kept[id(site)]].append(t.endpoint)
    return [_finding(src, site, eps) for site, eps in zip(sites, assigned)]


# --- rules as data ---------------------------------------------------------------------------


def patterns_for(language: str) -> tuple[CodePattern, ...]:
    """The code patterns of the default ruleset that apply to `language`."""
    return tuple(p for p in _all_patterns() if language in p.languages)


@lru_cache(maxsize=1)
def _all_patterns() -> tuple[CodePattern, ...]:
    ruleset = default_ruleset()
    return tuple(p for rule_id in SCHEME_BY_RULE if (rule := ruleset.get(rule_id)) for p in load_patterns(rule))


def load_patterns(rule: Rule) -> tuple[CodePattern, ...]:
    """Validate and compile a rule's `patterns`; a bad entry raises RuleFileError with a breadcrumb."""
    out = []
    for i, entry in enumerate(rule.patterns):
        where = f"patterns[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"lang", "regex"}:
            raise RuleFileError(rule.source_file, where, "must have exactly 'lang' and 'regex'")
        langs = [entry["lang"]] if isinstance(entry["lang"], str) else entry["lang"]
        if not isinstance(langs, list) or not langs or any(x not in CODE_LANGUAGES for x in langs):
            known = ", ".join(CODE_LANGUAGES)
            raise RuleFileError(rule.source_file, f"{where}.lang", f"must name languages among {known}")
        try:
            regex = re.compile(entry["regex"])
        except (re.error, TypeError) as exc:
            raise RuleFileError(rule.source_file, f"{where}.regex", f"not a valid regex: {exc}") from None
        out.append(CodePattern(rule.id, SCHEME_BY_RULE[rule.id], tuple(langs), regex))
    return tuple(out)


# --- tokens and sites ------------------------------------------------------------------------


def _tokens(text: str) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """(comment spans, string literal spans), scanned left to right so `//` in a URL stays a string."""
    comments: list[tuple[int, int]] = []
    strings: dict[int, int] = {}
    for found in _TOKENS.finditer(text):
        if found.group("comment"):
            comments.append(found.span())
        else:
            strings[found.start()] = found.end()
    return comments, strings


def _sites(src: _File) -> list[_Site]:
    """One site per scheme occurrence matched by a pattern, outside comments."""
    sites: dict[int, _Site] = {}
    for pattern in patterns_for(src.language):
        for found in pattern.regex.finditer(src.text):
            if src.in_comment(found.start()) or found.end() in sites:
                continue
            value, end = _value_at(src, found)
            if value is not None:
                sites[found.end()] = _Site(pattern, found.start(), end, value)
    return sorted(sites.values(), key=lambda s: s.start)


def _value_at(src: _File, found: re.Match[str]) -> tuple[_Value | None, int]:
    """The value after a pattern match: the rest of the scheme's string, or the expression after it."""
    if "q" not in found.re.groupindex or found.start("q") < 0:
        expr, end = _expression(src.text, found.end())
        return (_classify(src, expr) if expr else None), end
    close = _string_end(src.text, found.start("q"))
    rest = src.text[found.end():close].strip()
    interpolated = _INTERPOLATION.match(rest) or (
        _CS_INTERPOLATION.match(rest) if src.text[found.start("q") - 1:found.start("q")] == "$" else None)
    if interpolated:
        expr = interpolated.group("expr") if interpolated.group("expr") else interpolated.group("ident")
        return _classify(src, expr.strip()), close + 1
    if rest and not _FORMAT_VERB.match(rest):
        return _literal(rest[:rest.find(">") + 1] if rest.startswith("<") else rest.split()[0]), close
    follow = re.compile(r"\s*[,+]\s*" if rest else r"\s*\+\s*").match(src.text, close + 1)
    if not follow:
        return None, close
    expr, end = _expression(src.text, follow.end())
    return (_classify(src, expr) if expr else None), end


def _string_end(text: str, start: int) -> int:
    """Offset of the closing quote of the string opening at `start`.

    Inside JS templates and Kotlin/Scala strings `${...}` may hold quotes of its own; elsewhere
    `${` is plain text and never holds a quote, so following it everywhere is safe.
    """
    if text.startswith('"""', start):
        end = text.find('"""', start + 3)
        return end if end >= 0 else len(text)
    quote, i, depth = text[start], start + 1, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if text.startswith("${", i):
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        elif ch == quote and not depth or ch == "\n" and quote != "`":
            return i
        i += 1
    return len(text)


def _expression(text: str, pos: int) -> tuple[str, int]:
    """The argument or operand starting at `pos`, up to a `,` `)` `;` or line end at depth 0."""
    depth, i = 0, pos
    while i < len(text):
        ch = text[i]
        if ch in "\"'`":
            i = _string_end(text, i) + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch in ",;\n" and depth == 0:
            break
        i += 1
    return text[pos:i].strip(), i


# --- values ----------------------------------------------------------------------------------


def _classify(src: _File, expr: str, depth: int = 0) -> _Value:
    """Where an expression's value comes from."""
    if _OAUTH.search(expr):
        return _Value(KeySource("unknown"), oauth=True)
    literal = _LITERAL.match(expr)
    if literal:
        return _literal(literal.group("body").strip())
    env = _ENV_ACCESS.search(expr)
    if env:
        return _Value(KeySource("env", next(g for g in env.groups() if g)))
    config = _CONFIG_KEY.search(expr)
    if config:
        return _Value(KeySource("config", config.group("a") or config.group("b")))
    if _CONFIG_MEMBER.match(expr):
        return _Value(KeySource("config", expr))
    secret = _SECRET_CALL.search(expr)
    if secret:
        return _Value(KeySource("secret-reference", secret.group("name")))
    cli = _CLI_ARGUMENT.search(expr)
    if cli:
        return _Value(KeySource("cli-argument", cli.group(0)))
    if _USER_INPUT.search(expr):
        return _Value(KeySource("user-input"))
    ident = _IDENT.match(expr)
    if ident and depth < 3:
        return _identifier(src, ident.group("name"), depth)
    return _Value(KeySource("unknown", expr if _PLAIN_NAME.fullmatch(expr) else None))


def _literal(text: str) -> _Value:
    """A literal value; a JWT is an OAuth access token, not a static key."""
    return _Value(KeySource("literal"), text, oauth=is_jwt(text))


def _identifier(src: _File, name: str, depth: int) -> _Value:
    """Follow a name to its declaration in the file: `@Value("${x}")`, `const name = ...`, `name := ...`."""
    annotated = re.search(_VALUE_ANNOTATION.format(name=re.escape(name)), src.text)
    if annotated:
        return _Value(KeySource("config", annotated.group("key")))
    declared = re.search(_DECLARATION.format(name=re.escape(name)), src.text)
    if declared is None:
        return _Value(KeySource("unknown", name))
    value = _classify(src, declared.group("rhs").strip().rstrip(","), depth + 1)
    if value.source.kind == "literal":
        value.notes.append(f"the key is assigned to {name} at line {src.line_of(declared.start())}")
    elif value.source.kind == "unknown" and not value.oauth:
        value.source = KeySource("unknown", name)
    return value


def _oauth_nearby(src: _File, site: _Site) -> bool:
    """A Bearer value of unknown origin in a file that calls /oauth2/token is taken to be the token."""
    unknown = site.value.source.kind == "unknown"
    return site.pattern.scheme == "Bearer" and unknown and "/oauth2/token" in src.text


# --- targets ---------------------------------------------------------------------------------


def _targets(src: _File, folded: dict[int, str]) -> list[_Target]:
    """Celonis endpoints and foreign URLs among the file's strings (concatenations folded)."""
    base = _single_base(src, list(folded.values()))
    out = []
    for start, url in folded.items():
        if "/" not in url:
            continue
        line = src.line_of(start)
        host, path = ep.normalise(url)
        if host is None and not ep.is_celonis_path(path):
            continue
        joined = ep.join_url(base, path) if base and host is None else url
        mapped = ep.map_endpoint(_method_near(src, start), joined, line=line, extra_hosts=src.extra_hosts)
        if mapped is not None and mapped.path != "/":
            out.append(_Target(start, line, mapped))
        elif mapped is None and foreign_host(url, src.extra_hosts):
            out.append(_Target(start, line, None))
    return out


def _fold(src: _File, start: int) -> str:
    """The string at `start` joined with the operands `+`-concatenated after it (`{name}` for non-strings)."""
    end = src.strings[start]
    parts = [_string_body(src.text[start:end])]
    while len(parts) < 12:
        plus = _PLUS.match(src.text, end)
        if not plus:
            break
        if plus.end() in src.strings:
            end = src.strings[plus.end()]
            parts.append(_string_body(src.text[plus.end():end]))
            continue
        operand = _OPERAND.match(src.text, plus.end())
        if not operand:
            break
        parts.append("{" + re.sub(r"\W+", "_", operand.group(0)).strip("_") + "}")
        end = operand.end()
    return _FORMAT_VERBS.sub("{}", "".join(parts))


def _string_body(token: str) -> str:
    quote = 3 if token.startswith('"""') else 1
    return token[quote:-quote]


def _single_base(src: _File, urls: list[str]) -> str | None:
    """The one team-host origin the file's strings name, used to complete bare paths."""
    origins = _team_hosts(src, urls)
    return f"https://{origins.pop()}" if len(origins) == 1 else None


def _team_hosts(src: _File, urls: list[str]) -> set[str]:
    hosts = (ep.normalise(url)[0] for url in urls)
    return {h for h in hosts if h and ep.is_team_host(h, src.extra_hosts)}


def _method_near(src: _File, pos: int) -> str:
    """The HTTP method written closest to a URL: from the line before to two lines after, else "?"."""
    lo = src.text.rfind("\n", 0, max(0, src.text.rfind("\n", 0, pos))) + 1
    hi = pos
    for _ in range(3):
        nxt = src.text.find("\n", hi + 1)
        hi = len(src.text) if nxt < 0 else nxt
    window = src.text[lo:hi]
    hints = [(abs(lo + m.start() - pos), m.group("m").upper())
             for rule in _METHOD_HINTS for m in rule.finditer(window)]
    return min(hints)[1] if hints else "?"


def _aimed_elsewhere(site: _Site, targets: list[_Target], own: list[_Target]) -> bool:
    """True when the URLs linked to the site are all another vendor's; with none, when the nearest one is."""
    if own:
        return all(t.endpoint is None for t in own)
    if not targets:
        return False
    nearest = min(targets, key=lambda t: (abs(t.pos - site.start), t.endpoint is None))
    return nearest.endpoint is None


# --- statements: which site does a URL belong to ---------------------------------------------

#: `const x =`, `HttpRequest req =`, `req2, _ :=`, `val r: Request =`: the variable a statement assigns.
_ASSIGNED = re.compile(  # used with match(code, start): anchored at the statement's start
    r"""(?:(?:export|const|let|var|val|final|private|protected|public|internal|static|readonly|lateinit
          |override|implicit|using|await|auto)\s+)*
        (?:[A-Za-z_][\w.]*(?:<[^=;()]*?>)?(?:\[\])?\??\s+)?
        (?P<var>[A-Za-z_$][\w$]*)\s*(?:,\s*[A-Za-z_$][\w$]*\s*)*(?::\s*[^=\n]{1,60}?)?\s*(?::=|=)(?![=>])""",
    re.VERBOSE,
)
#: `req2.Header.Set(`, `h.setBearerAuth(`, `http.DefaultRequestHeaders...`: the object a statement works on.
_HEAD = re.compile(r"^(?:(?:await|return|yield|go|defer)\s+)?(?P<head>[a-z_$][\w$]*)\s*(?:\?\.|\.|\[)")
_WORD = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$]*")
_NOT_VARIABLES = frozenset({
    "this", "self", "super", "it", "return", "await", "new", "const", "let", "var", "val", "func", "fun", "def",
    "export", "import", "package", "if", "for", "while", "else", "try", "catch", "async", "suspend", "public",
    "private", "static", "final", "process", "console", "window", "document", "System",
})
#: Package names that read like variables (`http.NewRequest` in Go; in C# `http` is usually an HttpClient).
_PACKAGES = {"go": frozenset({"http", "fmt", "os", "url", "strings", "json", "io", "bytes", "context"})}
#: A brace after a word opening an expression, not a block: C#/Java `new HttpClient {`, `new String[] {`,
#: Go `= []string{`, `:= http.Header{`, `return &Req{` (`headers: {`, `= {` are decided before).
_EXPRESSION_BRACE = re.compile(
    r"(?:\breturn|\bnew\s+[\w.<>\[\]]+|(?:(?<![!<>=])=|[(,&]|\breturn)\s*&?[\w.\[\]*]+)$"
)
_CONTINUES_AFTER = frozenset("+-*/%,=(.&|?:<>!")
_CONTINUES_BEFORE = frozenset(".?:+&|")


@dataclass
class _Statement:
    start: int
    end: int
    #: Offset of the `{` of the enclosing block, -1 at the top level.
    block: int
    #: Offset of the statement that opened the enclosing block (`client.get(url) {`), -1 if none.
    opener: int
    #: The blanked text of the file (see `_blank`); the properties below read it on first use.
    code: str = field(repr=False)

    @cached_property
    def assigned(self) -> str | None:
        """The variable the statement assigns, if any."""
        found = _ASSIGNED.match(self.code, self.start, self.end)
        return found.group("var") if found else None

    @cached_property
    def words(self) -> frozenset[str]:
        """The identifiers the statement names (not after a `.`)."""
        return frozenset(_WORD.findall(self.code, self.start, self.end))


class _Linker:
    """Decides the site each URL of the file belongs to (see the module docstring)."""

    #: Text analysed on either side of the sites; a bundle's far ends fall back to the nearest site by line.
    WINDOW = 64_000

    def __init__(self, src: _File, sites: list[_Site], urls: list[int]) -> None:
        self.src = src
        self.sites = sites
        self.urls = sorted(urls)
        self.code = _blank(src)
        self.lo = max(0, min((s.start for s in sites), default=0) - self.WINDOW)
        self.lo = self.code.rfind("\n", 0, self.lo) + 1 if self.lo else 0
        self.hi = min(len(self.code), max((s.end for s in sites), default=0) + self.WINDOW)
        self.statements = _statements(self.code, self.lo, self.hi) if sites else []
        self.starts = [s.start for s in self.statements]
        self.site_statement = [self.statement_at(s.start) for s in sites]
        self.site_vars = [self._site_vars(i) for i in range(len(sites))]

    def statement_at(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def _site_vars(self, i: int) -> frozenset[str]:
        stmt = self.statements[self.site_statement[i]]
        names = {stmt.assigned}
        head = _HEAD.match(self.code[stmt.start:self.sites[i].start])
        if head:
            names.add(head.group("head"))
        packages = _PACKAGES.get(self.src.language, frozenset())
        return frozenset(n for n in names if n and n not in _NOT_VARIABLES and n not in packages)

    def owner(self, pos: int) -> int | None:
        """Index of the site a URL at `pos` belongs to, or None when the file has no site."""
        if not self.sites:
            return None
        if not self.lo <= pos < self.hi:
            return self._nearest(pos)
        first = index = self.statement_at(pos)
        for _hop in range(3):
            found = self._same_statement(index, pos)
            if found is None:
                found = self._by_variable(index)
            if found is not None:
                return found
            hop = self._next_use(index)
            if hop is None:
                break
            index = hop
        return self._in_block(first, pos)

    def _same_statement(self, index: int, pos: int) -> int | None:
        """A site in the statement, or in the block the statement opens (Kotlin `client.get(url) { ... }`)."""
        start = self.statements[index].start
        here = [i for i, s in enumerate(self.site_statement)
                if s == index or self.statements[s].opener == start]
        return min(here, key=lambda i: abs(self.sites[i].start - pos)) if here else None

    def _by_variable(self, index: int) -> int | None:
        stmt = self.statements[index]
        linked = [i for i, names in enumerate(self.site_vars) if names & stmt.words]
        if not linked:
            return None
        created = [i for i in linked if stmt.assigned in self.site_vars[i]]
        after = [i for i in (created or linked) if self.sites[i].start >= stmt.end]
        before = [i for i in (created or linked) if self.sites[i].start < stmt.start]
        if created:  # the statement builds the request the header is then set on
            return after[0] if after else before[-1] if before else created[0]
        return before[-1] if before else after[0] if after else linked[0]

    def _next_use(self, index: int) -> int | None:
        """The first later statement that uses the variable this one assigns (`url := ...`, then `NewRequest(url)`)."""
        name = self.statements[index].assigned
        if not name or name in _NOT_VARIABLES:
            return None
        for j in range(index + 1, min(len(self.statements), index + 200)):
            if name in self.statements[j].words:
                return j
            if self.statements[j].assigned == name:
                return None
        return None

    def _in_block(self, index: int, pos: int) -> int:
        """The next site of the block when no other URL comes first, else the last site before, else the nearest."""
        block = self.statements[index].block
        same = [i for i, s in enumerate(self.site_statement) if self.statements[s].block == block]
        following = [i for i in same if self.sites[i].start > pos]
        if following:
            first = following[0]
            lo, hi = self.statements[index].end, self.statements[self.site_statement[first]].start
            if bisect.bisect_left(self.urls, hi) == bisect.bisect_left(self.urls, lo):  # no other URL between
                return first
        preceding = [i for i in same if self.sites[i].start < pos]
        if preceding:
            return preceding[-1]
        return self._nearest(pos)

    def _nearest(self, pos: int) -> int:
        """The site nearest by line, the earlier on a tie."""
        line = self.src.line_of(pos)
        return min(range(len(self.sites)), key=lambda i: (abs(self.src.line_of(self.sites[i].start) - line), i))


def _blank(src: _File) -> str:
    """The text with comments and the insides of string literals replaced by spaces; a string keeps its
    first and last character (its quotes), newlines are kept, so offsets stay."""
    pieces, pos = [], 0
    spans = [(start, end, False) for start, end in src.comments] + [(s, e, True) for s, e in src.strings.items()]
    for start, end, is_string in sorted(spans):
        if start < pos:
            continue
        pieces.append(src.text[pos:start])
        if is_string and end - start >= 2:
            pieces.append(src.text[start] + re.sub(r"[^\n]", " ", src.text[start + 1:end - 1]) + src.text[end - 1])
        else:
            pieces.append(re.sub(r"[^\n]", " ", src.text[start:end]))
        pos = end
    pieces.append(src.text[pos:])
    return "".join(pieces)


_STRUCTURE = re.compile(r"[()\[\]{};\n]")
_NON_SPACE = re.compile(r"\S")
_NEW_CALL = re.compile(r"\bnew\s+[\w.<>\[\]]+\s*\(\s*\)$")


def _expression_brace(code: str, i: int) -> bool:
    """True when the `{` at `i` opens an object literal or initializer rather than a block."""
    tail = code[max(0, i - 80):i].rstrip()
    last = tail[-1:]
    if not last or last in "=(,:[?":
        return bool(last)
    if last == ")":
        return "new" in tail and _NEW_CALL.search(tail) is not None
    if last.isalnum() or last in "_]*>":
        return _EXPRESSION_BRACE.search(tail) is not None
    return False


def _statements(code: str, lo: int = 0, hi: int | None = None) -> list[_Statement]:
    """`code[lo:hi]` split into statements: `;`, a line end outside brackets (unless the expression
    continues), and block braces end one; expression braces (object literals) count as brackets.

    `code` is the text from `_blank`, so brackets in strings and comments are not seen.
    """
    hi = len(code) if hi is None else hi
    out: list[_Statement] = []
    braces: list[bool] = []  # is_expression, per open brace
    blocks: list[tuple[int, int]] = [(-1, -1)]  # (offset of the block's `{`, start of its opener statement)
    depth, start = 0, lo

    def begin(end: int) -> int:
        first = _NON_SPACE.search(code, start, end)
        return first.start() if first else end

    def close(end: int) -> None:
        nonlocal start
        first = begin(end)
        if first < end:
            out.append(_Statement(first, end, blocks[-1][0], blocks[-1][1], code))
        start = end + 1

    for found in _STRUCTURE.finditer(code, lo, hi):
        i, ch = found.start(), found.group(0)
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "{":
            if depth > 0 or _expression_brace(code, i):
                depth += 1
                braces.append(True)
            else:
                opener = begin(i)
                close(i)
                braces.append(False)
                blocks.append((i, opener if opener < i else -1))
        elif ch == "}":
            if braces.pop() if braces else False:
                depth = max(0, depth - 1)
            else:
                close(i)
                if len(blocks) > 1:
                    blocks.pop()
        elif ch == ";" and depth == 0:
            close(i)
        elif ch == "\n" and depth == 0:
            before = code[max(start, i - 200):i].rstrip()
            after = code[i + 1:i + 200].lstrip()
            if before[-1:] not in _CONTINUES_AFTER and after[:1] not in _CONTINUES_BEFORE:
                close(i)
    close(hi)
    return out


# --- findings --------------------------------------------------------------------------------


def _finding(src: _File, site: _Site, endpoints: list[Endpoint]) -> Finding:
    value = site.value
    notes = list(value.notes)
    if endpoints:
        confidence = "medium" if site.pattern.scheme == "Bearer" and value.source.kind == "unknown" else "high"
    else:
        confidence = "medium" if site.pattern.scheme == "AppKey" else "low"
        notes.append("no Celonis URL near this header in the file; scopes cannot be planned from it")
    content = " ".join(src.text[site.start:site.end].split())
    occurrence = src.fingerprints.get(content, 0)
    src.fingerprints[content] = occurrence + 1
    line = src.line_of(site.start)
    unique = {(e.method, e.path, e.url): e for e in endpoints}
    return make_finding(
        rule_id=site.pattern.rule_id,
        path=src.path,
        start=(line, src.column_of(site.start)),
        end=(src.line_of(site.end), src.column_of(site.end)),
        schemes=(site.pattern.scheme,),
        key_source=value.source,
        content=content,
        endpoints=sorted(unique.values(), key=lambda e: (e.path, e.method, e.url or "")),
        literal=value.literal,
        confidence=confidence,
        language=src.language,
        related=sorted({f"{e.line}:1" for e in endpoints if e.line and e.line != line}),
        notes=notes,
        occurrence=occurrence,
    )
