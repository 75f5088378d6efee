"""LibCST codemods that move Python code from static Celonis keys to OAuth client credentials.

`CODEMODS` run in order on one file; each re-detects its sites on the tree it is given and takes
the scopes from the file's plan (computed once, before any change, by `migrator.scopes.build_plan`):
the specific shapes first (pycelonis logins, session/client defaults, module-level header
constants, keys passed in as parameters), then the general header-value rewrite, and last the
pass that lists (and with --write annotates) what is left to a human. The helper import is added
once, at the end. `apply` never raises.

Every line a codemod reports is kept in the coordinates of the code as it is after each step, so
the lines shown match the rewritten file. Real-shape key literals still in the result are sites
for a human (delete, and revoke the key): a migrated file that still holds a key is not done.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.codemod import CodemodContext, TransformExit, TransformFailure, TransformSuccess, transform_module
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from migrator.codemask import mask_secrets_in_code_line, mask_secrets_in_notebook_line
from migrator.codemods import helper
from migrator.codemods._sites import DEFER_IMPORTS, DISABLED_RULES, EXTRA_HOSTS, IMPORTS, NOTES, SiteCommand
from migrator.codemods.client_auth import ClientAuthCommand
from migrator.codemods.header_constant import HeaderConstantCommand
from migrator.codemods.header_value import HeaderValueCommand
from migrator.codemods.manual_sites import SITES, ManualSitesCommand
from migrator.codemods.param_source import ParameterSourceCommand
from migrator.codemods.pycelonis_login import PycelonisLoginCommand
from migrator.redact import scrub
from migrator.types import Finding, FixOutcome, ScopePlan

CODEMODS: tuple[type[SiteCommand], ...] = (
    PycelonisLoginCommand,
    ClientAuthCommand,
    HeaderConstantCommand,
    ParameterSourceCommand,
    HeaderValueCommand,
    ManualSitesCommand,
)

#: The reason given for a real-shape key literal still in a file (it must say "revoke").
LEAKED_LITERAL = ("a static key literal is still in the file: delete it (once nothing uses it) and revoke the key: "
                  "it stays usable from the git history until it is revoked")


@dataclass(frozen=True)
class Rewrite:
    """The new text of a file and what happened to it."""

    code: str
    outcome: FixOutcome


def unified_diff(path: str, old: str, new: str, *, new_file: bool = False) -> str:
    """A unified diff (`a/` and `b/` prefixes, as git prints them); empty when nothing changed.

    Safe to show: the file name has its control characters escaped, secret-looking string
    literals on every line are masked (`migrator.codemask`; notebook lines inside their JSON
    strings), and `redact.scrub` runs over the whole text.
    """
    if old == new:
        return ""
    from migrator.outputs.text_format import safe

    shown = safe(path)
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile="/dev/null" if new_file else f"a/{shown}", tofile=f"b/{shown}")
    mask = mask_secrets_in_notebook_line if path.lower().endswith(".ipynb") else mask_secrets_in_code_line
    out = []
    for n, line in enumerate(lines):
        if n >= 2 and not line.startswith("@@"):
            body = line[1:]
            content = body.rstrip("\r\n")
            line = line[0] + mask(content) + body[len(content):]
        out.append(line if line.endswith("\n") else line.rstrip("\r") + "\n\\ No newline at end of file\n")
    return scrub("".join(out))


def rewrite(path: str, text: str, findings: Sequence[Finding], plan: ScopePlan, *, write_todos: bool = False,
            relative_import: bool = False, exported_names: Iterable[str] = (), lines_of_new: bool | None = None,
            extra_hosts: Iterable[str] = (), disabled_rules: Iterable[str] = ()) -> Rewrite:
    """Run every codemod over `text`; the outcome's `reason` holds notes for the user, one per line.

    Lines in the outcome are lines of the rewritten code when `lines_of_new` (default: `write_todos`,
    i.e. the result is written), else lines of `text` as it is on disk. `extra_hosts` and
    `disabled_rules` are the scan's settings: the codemods find their sites with the same hosts and
    leave sites of disabled rules alone.
    """
    try:
        return _rewrite(path, text, findings, plan, write_todos, relative_import, frozenset(exported_names),
                        write_todos if lines_of_new is None else lines_of_new, tuple(extra_hosts),
                        frozenset(disabled_rules))
    except Exception as exc:  # noqa: BLE001 - a codemod bug must not stop the other files
        return Rewrite(text, FixOutcome(path, "failed", reason=f"internal error ({type(exc).__name__}): "
                                        f"{scrub(str(exc)).splitlines()[0] if str(exc) else ''}"))


def apply(path: str, text: str, findings: Sequence[Finding], plan: ScopePlan, **options: object) -> FixOutcome:
    """What fix does to one file (never raises; a failure is an outcome of kind "failed")."""
    return rewrite(path, text, findings, plan, **options).outcome  # type: ignore[arg-type]


def _rewrite(path: str, text: str, findings: Sequence[Finding], plan: ScopePlan, write_todos: bool,
             relative_import: bool, exported: frozenset[str], lines_of_new: bool, extra_hosts: tuple[str, ...],
             disabled: frozenset[str]) -> Rewrite:
    handled = set(ManualSitesCommand.RULES) - disabled
    findings = [f for f in findings if f.rule_id not in disabled]
    code = text
    sites: list[tuple[int, str]] = []
    notes: list[tuple[int, str]] = []
    if any(f.rule_id in handled for f in findings):
        context = CodemodContext(filename=path)
        context.scratch.update({DEFER_IMPORTS: True, EXTRA_HOSTS: extra_hosts, DISABLED_RULES: disabled})
        for command in CODEMODS:
            before = code
            result = transform_module(command(context, scopes=plan.scope_string, write_todos=write_todos,
                                              relative_import=relative_import, exported_names=exported), code)
            if isinstance(result, TransformExit):
                # LibCST's transform_module turns Ctrl-C into TransformExit; going on would write a half-migrated file.
                raise KeyboardInterrupt
            if isinstance(result, TransformFailure):
                detail = scrub(str(result.error)).splitlines()[0] if str(result.error) else ""
                return Rewrite(text, FixOutcome(path, "failed", reason=f"{command.__name__} failed: "
                                                f"{type(result.error).__name__} {detail}".strip()))
            if isinstance(result, TransformSuccess):
                code = result.code
            if code != before:
                _remap(context, _line_mapper(before, code))
        names = context.scratch.get(IMPORTS, set())
        if names:
            before = code
            code = add_helper_import(code, names, relative=relative_import)
            _remap(context, _line_mapper(before, code))
        sites = list(context.scratch.get(SITES, []))
        notes = list(context.scratch.get(NOTES, []))
    to_new = _line_mapper(text, code) if code != text else (lambda line: line)
    leaks = _leaked_literal_lines(code) | {to_new(f.line) for f in findings if f.rule_id == "celonis-key-literal"}
    notes += _unused_source_notes(findings, code, to_new)
    blockers = tuple(f"{b.method} {b.path}: {b.reason}" for b in plan.blockers) + tuple(
        f"{u}: no known OAuth scope (verify with Celonis)" for u in plan.unknown)
    fixed = max(0, sum(1 for f in findings if f.rule_id in handled) - len(sites))
    manual = sorted({*sites, *((line, LEAKED_LITERAL) for line in leaks)})
    if not lines_of_new and code != text:
        to_old = _line_mapper(code, text)
        manual = sorted({(to_old(line), reason) for line, reason in manual})
        notes = [(to_old(line), note) for line, note in notes]
    outcome = FixOutcome(
        path=path,
        kind="changed" if code != text else "unchanged",
        diff=unified_diff(path, text, code),
        fixed=fixed if code != text else 0,
        manual=tuple(manual),
        blockers=blockers if code != text else (),
        reason="\n".join(scrub(f"line {line}: {note}") for line, note in sorted(set(notes))),
    )
    return Rewrite(code, outcome)


# ---------------------------------------------------------------------- the helper import
def add_helper_import(code: str, names: Iterable[str], *, relative: bool) -> str:
    """`code` importing `names` from the helper, once.

    Names go into the imports of the helper already there (top level, or in the try/except below);
    when there are none, one import is added where AddImportsVisitor puts imports: `from celonis_oauth
    import ...`, or with `relative` (a module in a package) both forms, so that the file works as
    `import pkg.mod` and as `python pkg/mod.py` alike::

        try:
            from .celonis_oauth import client_credentials_token
        except ImportError:  # run as a script, not imported from its package
            from celonis_oauth import client_credentials_token
    """
    module = cst.parse_module(code)
    existing = _helper_imports(module)
    have: set[str] = set()
    for node in existing:
        if isinstance(node.names, cst.ImportStar):
            return code
        have |= {a.evaluated_alias or a.evaluated_name for a in node.names}
    missing = sorted(set(names) - have)
    if not missing:
        return code
    if existing:
        targets = {id(n) for n in existing}

        class Merge(cst.CSTTransformer):
            def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
                if id(original) not in targets or isinstance(updated.names, cst.ImportStar):
                    return updated
                new = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in updated.names]
                new += [cst.ImportAlias(cst.Name(n)) for n in missing]
                return updated.with_changes(lpar=None, rpar=None, names=[
                    a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if i < len(new) - 1
                    else a for i, a in enumerate(new)])

        return module.visit(Merge()).code
    context = CodemodContext()
    for name in missing:
        AddImportsVisitor.add_needed_import(context, helper.MODULE, name)
    module = AddImportsVisitor(context).transform_module(module)
    if not relative:
        return module.code
    listed = ", ".join(missing)
    dual = cst.parse_statement(f"try:\n    from .{helper.MODULE} import {listed}\n"
                               f"except ImportError:  # run as a script, not imported from its package\n"
                               f"    from {helper.MODULE} import {listed}\n")
    body = list(module.body)
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and _is_helper_import(stmt.body[0]):
            body[i] = dual.with_changes(leading_lines=stmt.leading_lines)
            break
    return module.with_changes(body=body).code


def _is_helper_import(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.ImportFrom) and isinstance(node.module, (cst.Name, cst.Attribute)) \
        and cst.Module(body=[]).code_for_node(node.module) == helper.MODULE and len(node.relative) <= 1


def _helper_imports(module: cst.Module) -> list[cst.ImportFrom]:
    """`from [.]celonis_oauth import ...` at the top level of `module`, also inside top-level try blocks."""
    found: list[cst.ImportFrom] = []

    def statements(block: Sequence[cst.BaseStatement]) -> None:
        for stmt in block:
            if isinstance(stmt, cst.SimpleStatementLine):
                found.extend(s for s in stmt.body if _is_helper_import(s))  # type: ignore[misc]
            elif isinstance(stmt, cst.Try):
                statements(stmt.body.body)  # type: ignore[arg-type]
                for handler in stmt.handlers:
                    statements(handler.body.body)  # type: ignore[arg-type]

    statements(module.body)
    return found


# ---------------------------------------------------------------------- lines
def _line_mapper(old: str, new: str) -> Callable[[int], int]:
    """Map a 1-based line of `old` to the line of `new` that holds it (or what replaced it)."""
    opcodes = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False).get_opcodes()

    def to_new(line: int) -> int:
        i = line - 1
        for tag, i1, i2, j1, j2 in opcodes:
            if i1 <= i < i2:
                return 1 + (j1 + i - i1 if tag == "equal" else j1 + min(i - i1, max(j2 - j1 - 1, 0)))
        if opcodes and i >= opcodes[-1][2]:
            return line + opcodes[-1][4] - opcodes[-1][2]
        return line

    return to_new


def _remap(context: CodemodContext, to_new: Callable[[int], int]) -> None:
    """Move the lines the codemods reported so far into the coordinates of the code after a step."""
    for key in (NOTES, SITES):
        if key in context.scratch:
            context.scratch[key] = [(to_new(line) if line > 0 else line, text) for line, text in context.scratch[key]]


def _leaked_literal_lines(code: str) -> set[int]:
    """Lines of string literals (also implicitly concatenated ones, a key split in two) holding a real-shape key."""
    from migrator.redact import is_real_shape

    try:
        wrapper = MetadataWrapper(cst.parse_module(code))
    except cst.ParserSyntaxError:
        return set()
    positions = wrapper.resolve(PositionProvider)
    lines: set[int] = set()

    class V(cst.CSTVisitor):
        def _check(self, node: cst.BaseString) -> None:
            try:
                value = node.evaluated_value  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - an f-string part, an odd escape
                return
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if isinstance(value, str) and is_real_shape(value.strip()):
                lines.add(positions[node].start.line)

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            self._check(node)

        def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
            self._check(node)

    wrapper.module.visit(V())
    return lines


def _unused_source_notes(findings: Sequence[Finding], code: str, to_new: Callable[[int], int]) -> list[tuple[int, str]]:
    """Key sources the rewritten code no longer reads: the user removes them and revokes the key."""
    from migrator.findings import describe_source

    notes: list[tuple[int, str]] = []
    for f in findings:
        src = f.key_source
        if src.kind in ("env", "config", "user-input", "cli-argument", "file", "secret-reference") and src.name \
                and not re.search(r"(?<![\w.-])" + re.escape(src.name) + r"(?![\w-])", code):
            notes.append((to_new(f.line), f"{describe_source(src)} is no longer read here: remove it (and the key "
                                          "behind it) once nothing else needs it, then revoke the key"))
    return notes
