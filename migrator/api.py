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
    ordered = tuple(sorted(findings, key=_finding_order))
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
