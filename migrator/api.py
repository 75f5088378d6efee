"""The library surface: scan paths, and the only module that wires the stages together.

discover -> detect -> endpoints/scopes -> ScanResult. The CLI and every output
format work from the ScanResult this returns.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple, Optional, Sequence, Union

from migrator import scopes
from migrator.types import BaselineEntry, Finding, ScanResult, Skip, UnusedIgnore

if TYPE_CHECKING:
    from migrator.discover import Candidate


@dataclass(frozen=True)
class ScanOptions:
    #: Files larger than this are skipped with a reason.
    max_bytes: int = 5_000_000
    follow_symlinks: bool = False
    #: List files with `git ls-files` inside a git work tree (honours .gitignore).
    use_git: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    #: Extra Celonis hosts (private or dedicated realms), exact host names.
    extra_hosts: tuple[str, ...] = ()
    disabled_rules: tuple[str, ...] = ()
    cwd: Optional[str] = None
    #: (rule id, severity): every finding of the rule gets this severity.
    severity_overrides: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    #: Worker processes; 1 scans in this process.
    jobs: int = 1
    #: Honour `celonis-migrator: ignore` comments.
    inline_ignores: bool = True
    #: Baseline file: its findings are marked "known" and do not fail a run.
    baseline: Optional[str] = None


class _FileOutcome(NamedTuple):
    """What scanning one candidate gave; picklable, so a worker process can return it."""

    path: str
    skip: Optional[Skip]
    prefiltered: bool = False
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    unused_ignores: tuple[UnusedIgnore, ...] = ()


def scan(paths: Sequence[str], options: ScanOptions = ScanOptions(), *,
         on_file: Optional[Callable[[str], None]] = None) -> ScanResult:
    """Scan files and directories; never raises for bad input (it becomes a Skip).

    Raises MigratorError only for a missing or invalid baseline file. `on_file` is called
    with each path as it is handled (a progress display).
    """
    from migrator import baseline as baseline_file
    from migrator.discover import iter_candidates

    started = time.perf_counter()
    entries = baseline_file.load(options.baseline) if options.baseline else None
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    unused: list[UnusedIgnore] = []
    skips: list[Skip] = []
    scanned_paths: set[str] = set()
    scanned = 0
    prefiltered = 0
    candidates = iter_candidates(paths, cwd=options.cwd, follow_symlinks=options.follow_symlinks,
                                 use_git=options.use_git, include=options.include, exclude=options.exclude)
    for outcome in _outcomes(candidates, options):
        if isinstance(outcome, Skip):
            skips.append(outcome)
            continue
        if on_file is not None:
            on_file(outcome.path)
        if outcome.skip is not None:
            skips.append(outcome.skip)
            continue
        scanned += 1
        if entries is not None:
            scanned_paths.add(outcome.path)
        prefiltered += outcome.prefiltered
        findings.extend(outcome.findings)
        suppressed.extend(outcome.suppressed)
        unused.extend(outcome.unused_ignores)
    stale: tuple[BaselineEntry, ...] = ()
    if entries is not None:
        findings, used = baseline_file.mark(findings, entries)
        base = os.path.abspath(options.cwd or os.getcwd())
        stale = baseline_file.stale(entries, used, scanned_paths.__contains__,
                                    lambda p: os.path.lexists(os.path.join(base, p)))
    result = build_result(findings, skips, scanned, time.perf_counter() - started, prefiltered,
                          roots=tuple(paths))
    return dataclasses.replace(
        result,
        suppressed=tuple(sorted(suppressed, key=_finding_order)),
        unused_ignores=tuple(sorted(unused, key=lambda u: (u.path, u.line))),
        baseline_path=options.baseline,
        stale_baseline=stale,
    )


def _outcomes(candidates: Iterable[Union["Candidate", Skip]], options: ScanOptions
              ) -> Iterator[Union[_FileOutcome, Skip]]:
    """Scan each candidate, in this process or in `options.jobs` workers, in discovery order.

    Discovery streams; at most 4 files per worker are in flight, so memory stays flat on a
    monorepo, and results come back in submission order, so output is deterministic.
    """
    if options.jobs <= 1:
        for item in candidates:
            yield item if isinstance(item, Skip) else _scan_candidate(item, options)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=options.jobs)
    pending: deque[Union[Future[_FileOutcome], Skip]] = deque()
    try:
        for item in candidates:
            pending.append(item if isinstance(item, Skip) else pool.submit(_scan_candidate, item, options))
            while len(pending) >= 4 * options.jobs:
                first = pending.popleft()
                yield first if isinstance(first, Skip) else first.result()
        while pending:
            first = pending.popleft()
            yield first if isinstance(first, Skip) else first.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _scan_candidate(candidate: "Candidate", options: ScanOptions) -> _FileOutcome:
    """Read, prefilter, detect, then apply severity overrides and inline ignores, for one file."""
    from migrator.detect import detect_file
    from migrator.discover import read_source
    from migrator.ignores import apply_ignores

    source = read_source(candidate, max_bytes=options.max_bytes)
    if isinstance(source, Skip):
        return _FileOutcome(candidate.path, source)
    result, passed = detect_file(source, extra_hosts=options.extra_hosts)
    if isinstance(result, Skip):
        return _FileOutcome(candidate.path, result)
    found = [f for f in result if f.rule_id not in options.disabled_rules]
    if options.severity_overrides:
        levels = dict(options.severity_overrides)
        found = [dataclasses.replace(f, severity=levels[f.rule_id]) if f.rule_id in levels else f for f in found]
    if options.inline_ignores:
        kept, silenced, unused = apply_ignores(source.kind, source.text, source.path, found)
    else:
        kept, silenced, unused = found, [], []
    return _FileOutcome(candidate.path, None, not passed, tuple(kept), tuple(silenced), tuple(unused))


def _finding_order(f: Finding) -> tuple[str, int, int, str]:
    return (f.path, f.line, f.column, f.rule_id)


def build_result(findings: Iterable[Finding], skips: Iterable[Skip], scanned: int, duration: float,
                 prefiltered: int = 0, roots: tuple[str, ...] = ()) -> ScanResult:
    """Sort findings and compute the scan-level and per-file scope plans."""
    from migrator.link import link_findings

    ordered = tuple(sorted(link_findings(findings), key=_finding_order))
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in ordered:
        by_file[f.path].append(f)
    file_plans = tuple(
        (path, scopes.build_plan(e for f in fs for e in f.endpoints)) for path, fs in sorted(by_file.items())
    )
    plan = scopes.build_plan(e for f in ordered for e in f.endpoints)
    return ScanResult(
        findings=ordered,
        skips=tuple(sorted(skips, key=lambda s: (s.path, s.reason))),
        plan=plan,
        file_plans=file_plans,
        files_scanned=scanned,
        duration_s=duration,
        files_prefiltered=prefiltered,
        roots=roots,
    )


def fix(paths: Sequence[str], *, write: bool, options: ScanOptions = ScanOptions()) -> list[FixOutcome]:
    """Rewrite Python files and notebooks under `paths` to OAuth; write them only when `write` is True.

    One FixOutcome per file with something to report (sorted by path), plus one per generated
    `celonis_oauth.py` helper. A changed outcome's `diff` is scrubbed; its `reason` holds notes for
    the user (key sources now unused), one per line. Config files get a "skipped" outcome listing
    the edits to make by hand. Never raises for bad input: problems are "skipped"/"failed" outcomes.
    """
    import os

    from migrator import codemods, writeback
    from migrator.codemods import helper
    from migrator.codemods.config_advice import CONFIG_KINDS, config_outcome
    from migrator.detect import scan_source
    from migrator.detect.python import scan_python
    from migrator.discover import iter_candidates, read_source
    from migrator.types import FixOutcome, ScopePlan, SourceFile

    roots = writeback.Roots(paths, options.cwd)
    outcomes: list[FixOutcome] = []
    loaded: list[tuple[SourceFile, bytes]] = []
    for item in iter_candidates(paths, cwd=options.cwd, follow_symlinks=options.follow_symlinks,
                                use_git=options.use_git, include=options.include, exclude=options.exclude):
        source = item if isinstance(item, Skip) else read_source(item, max_bytes=options.max_bytes)
        if isinstance(source, Skip):
            if source.path.lower().endswith((".py", ".ipynb")):
                outcomes.append(FixOutcome(source.path, "skipped", reason=f"{source.reason}: {source.detail}"))
            continue
        if source.kind in ("python", "notebook") or source.kind in CONFIG_KINDS:
            with open(source.abspath, "rb") as fh:
                loaded.append((source, fh.read()))

    texts = [(s.path, s.text) for s, _b in loaded if s.kind == "python"]
    rewrites: list[tuple[SourceFile, bytes, "codemods.Rewrite", str]] = []
    plans: list[ScopePlan] = []
    for source, original in loaded:
        if source.kind in CONFIG_KINDS:
            continue
        nbcode = None
        try:
            if source.kind == "notebook":
                nbcode = writeback.notebook_code(source.text)
                found: object = scan_python(source.path, nbcode.code, extra_hosts=options.extra_hosts)
            else:
                found = scan_source(source, extra_hosts=options.extra_hosts)
        except Exception as exc:  # noqa: BLE001 - malformed notebook JSON, unparsable cells
            found = Skip(source.path, "parse-error", f"{type(exc).__name__}: cannot read the code cells")
        if isinstance(found, Skip):
            outcomes.append(FixOutcome(source.path, "skipped", reason=f"{found.reason}: {found.detail}"))
            continue
        findings = [f for f in found if f.rule_id not in options.disabled_rules]  # type: ignore[attr-defined]
        if not findings:
            continue
        plan = scopes.build_plan(e for f in findings for e in f.endpoints)
        plans.append(plan)
        directory = os.path.dirname(source.abspath)
        stem = os.path.splitext(os.path.basename(source.path))[0]
        rw = codemods.rewrite(source.path, nbcode.code if nbcode else source.text, findings, plan, write_todos=write,
                              relative_import=os.path.exists(os.path.join(directory, "__init__.py")),
                              exported_names=writeback.python_files_importing(
                                  [t for t in texts if t[0] != source.path], stem))
        new_text = rw.code
        if nbcode is not None and rw.outcome.kind != "failed":
            rw = _notebook_rewrite(source, nbcode, rw)
            new_text = rw.code
        rewrites.append((source, original, rw, new_text))

    helpers: dict[str, str] = {}
    for source, _o, rw, new_text in rewrites:
        if rw.outcome.kind == "changed" and helper.MODULE in new_text and helper.MODULE not in source.text:
            directory = os.path.dirname(source.abspath)
            helpers.setdefault(directory, os.path.join(os.path.dirname(source.path), helper.FILENAME))
    foreign = set()
    for directory, shown in sorted(helpers.items()):
        target = os.path.join(directory, helper.FILENAME)
        status, _version = helper.helper_status(target)
        if status == "foreign":
            foreign.add(directory)
            continue
        if status == "current":
            continue
        old = "" if status == "missing" else open(target, encoding="utf-8").read()
        outcome = FixOutcome(shown, "changed", diff=codemods.unified_diff(shown, old, helper.HELPER_SOURCE,
                                                                          new_file=status == "missing"),
                             reason=f"line 1: generated OAuth helper ({'created' if status == 'missing' else 'updated'})")
        if write:
            try:
                writeback.atomic_write(target, helper.HELPER_SOURCE.encode("utf-8"), roots,
                                       expected=None if status == "missing" else old.encode("utf-8"), helper=True)
            except (OSError, writeback.WriteError) as exc:
                foreign.add(directory)
                outcome = FixOutcome(shown, "failed", reason=str(exc))
        outcomes.append(outcome)

    for source, original, rw, new_text in rewrites:
        outcome = rw.outcome
        if outcome.kind == "changed" and os.path.dirname(source.abspath) in foreign:
            outcome = FixOutcome(source.path, "skipped", manual=outcome.manual,
                                 reason=f"{helper.FILENAME} next to this file was not generated by celonis-migrator "
                                        "(or could not be written): rename it, then run fix again")
        elif write and outcome.kind == "changed":
            try:
                if source.kind == "python":
                    writeback.check_python(new_text, source.path)
                writeback.atomic_write(source.abspath, writeback.encode_like(original, new_text), roots,
                                       expected=original)
            except (OSError, writeback.WriteError) as exc:
                outcome = FixOutcome(source.path, "failed", reason=str(exc), manual=outcome.manual)
        outcomes.append(outcome)

    union = scopes.merge_plans(plans).scope_string
    for source, _o in loaded:
        if source.kind in CONFIG_KINDS:
            advice = config_outcome(source.path, source.kind, source.text, [], union)
            if advice is not None:
                outcomes.append(advice)
    return sorted(outcomes, key=lambda o: o.path)


def _notebook_rewrite(source, nbcode, rw):  # type: ignore[no-untyped-def]
    """Map a rewrite of a notebook's joined code back onto its JSON (cells, and cell-relative lines)."""
    from dataclasses import replace

    from migrator import codemods, writeback
    from migrator.types import FixOutcome

    def where(line: int, text: str) -> tuple[int, str]:
        cell, cell_line = writeback.cell_location(nbcode, line)
        return cell_line, f"cell {cell}: {text}"

    manual = tuple(where(line, text) for line, text in rw.outcome.manual)
    notes = "\n".join(
        "line {}: {}".format(*where(int(n.split(":", 1)[0][5:]), n.split(": ", 1)[1]))
        for n in rw.outcome.reason.splitlines() if n.startswith("line ")
    )
    if rw.outcome.kind != "changed":
        return codemods.Rewrite(source.text, replace(rw.outcome, manual=manual, reason=notes))
    try:
        writeback.check_python(rw.code, source.path)
        new_text = writeback.notebook_with_code(source.text, nbcode, rw.code)
    except writeback.WriteError as exc:
        return codemods.Rewrite(source.text, FixOutcome(source.path, "skipped", manual=manual, reason=str(exc)))
    outcome = replace(rw.outcome, diff=codemods.unified_diff(source.path, source.text, new_text), manual=manual,
                      reason=notes)
    return codemods.Rewrite(new_text, outcome)
