"""LibCST codemods that move Python code from static Celonis keys to OAuth client credentials.

`CODEMODS` run in order on one file; each re-detects its sites on the tree it is given and takes
the scopes from the file's plan (computed once, before any change, by `migrator.scopes.build_plan`):
the specific shapes first (pycelonis logins, session/client defaults, module-level header
constants, keys passed in as parameters), then the general header-value rewrite, and last the
pass that lists (and with --write annotates) what is left to a human. `apply` never raises.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from libcst.codemod import CodemodContext, TransformFailure, TransformSuccess, transform_module

from migrator.codemods._sites import NOTES, SiteCommand
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


@dataclass(frozen=True)
class Rewrite:
    """The new text of a file and what happened to it."""

    code: str
    outcome: FixOutcome


def unified_diff(path: str, old: str, new: str, *, new_file: bool = False) -> str:
    """A scrubbed unified diff (`a/` and `b/` prefixes, as git prints them); empty when nothing changed."""
    if old == new:
        return ""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile="/dev/null" if new_file else f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line.rstrip("\r") + "\n\\ No newline at end of file\n")
    return scrub("".join(out))


def rewrite(path: str, text: str, findings: Sequence[Finding], plan: ScopePlan, *, write_todos: bool = False,
            relative_import: bool = False, exported_names: Iterable[str] = ()) -> Rewrite:
    """Run every codemod over `text`; the outcome's `reason` holds notes for the user, one per line."""
    try:
        return _rewrite(path, text, findings, plan, write_todos, relative_import, frozenset(exported_names))
    except Exception as exc:  # noqa: BLE001 - a codemod bug must not stop the other files
        return Rewrite(text, FixOutcome(path, "failed", reason=f"internal error ({type(exc).__name__}): "
                                        f"{scrub(str(exc)).splitlines()[0] if str(exc) else ''}"))


def apply(path: str, text: str, findings: Sequence[Finding], plan: ScopePlan, **options: object) -> FixOutcome:
    """What fix does to one file (never raises; a failure is an outcome of kind "failed")."""
    return rewrite(path, text, findings, plan, **options).outcome  # type: ignore[arg-type]


def _rewrite(path: str, text: str, findings: Sequence[Finding], plan: ScopePlan, write_todos: bool,
             relative_import: bool, exported: frozenset[str]) -> Rewrite:
    if not any(f.rule_id in ManualSitesCommand.RULES for f in findings):
        return Rewrite(text, FixOutcome(path, "unchanged"))
    context = CodemodContext(filename=path)
    code = text
    for command in CODEMODS:
        result = transform_module(command(context, scopes=plan.scope_string, write_todos=write_todos,
                                          relative_import=relative_import, exported_names=exported), code)
        if isinstance(result, TransformFailure):
            detail = scrub(str(result.error)).splitlines()[0] if str(result.error) else ""
            return Rewrite(text, FixOutcome(path, "failed", reason=f"{command.__name__} failed: "
                                            f"{type(result.error).__name__} {detail}".strip()))
        if isinstance(result, TransformSuccess):
            code = result.code
    manual = tuple(context.scratch.get(SITES, []))
    notes = sorted(set(context.scratch.get(NOTES, [])) | set(_source_notes(findings, code)))
    blockers = tuple(f"{b.method} {b.path}: {b.reason}" for b in plan.blockers) + tuple(
        f"{u}: no known OAuth scope (verify with Celonis)" for u in plan.unknown)
    handled = set(ManualSitesCommand.RULES)
    fixed = max(0, sum(1 for f in findings if f.rule_id in handled) - len(manual))
    outcome = FixOutcome(
        path=path,
        kind="changed" if code != text else "unchanged",
        diff=unified_diff(path, text, code),
        fixed=fixed if code != text else 0,
        manual=manual,
        blockers=blockers if code != text else (),
        reason="\n".join(scrub(f"line {line}: {note}") for line, note in notes),
    )
    return Rewrite(code, outcome)


def _source_notes(findings: Sequence[Finding], code: str) -> list[tuple[int, str]]:
    """Key sources the rewritten code no longer uses: the user deletes them and revokes the key."""
    import libcst as cst

    from migrator.findings import describe_source
    from migrator.redact import is_real_shape

    notes: list[tuple[int, str]] = []
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError:
        return notes
    lines: list[int] = []

    class V(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            value = node.evaluated_value
            if isinstance(value, str) and is_real_shape(value.strip()):
                lines.append(1 + code.count("\n", 0, code.find(node.value)))

    module.visit(V())
    for line in sorted(set(lines)):
        notes.append((line, "a static key literal is still in the file: delete it once nothing uses it, and revoke "
                            "the key (it stays in the history)"))
    for f in findings:
        src = f.key_source
        if src.kind in ("env", "config", "user-input", "cli-argument", "file", "secret-reference") and src.name \
                and src.name not in code:
            notes.append((f.line, f"{describe_source(src)} is no longer read here: remove it (and the key behind "
                                  "it) once nothing else needs it, then revoke the key"))
    return notes
