"""The library surface: scan paths, and the only module that wires the stages together.

discover -> detect -> endpoints/scopes -> ScanResult. The CLI and every output
format work from the ScanResult this returns.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

from migrator import scopes
from migrator.types import Finding, ScanResult, Skip


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
    severity_overrides: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def scan(paths: Sequence[str], options: ScanOptions = ScanOptions()) -> ScanResult:
    """Scan files and directories; never raises for bad input (it becomes a Skip)."""
    from migrator.detect import prefilter, scan_source
    from migrator.discover import iter_candidates, read_source

    started = time.perf_counter()
    findings: list[Finding] = []
    skips: list[Skip] = []
    scanned = 0
    prefiltered = 0
    for item in iter_candidates(paths, cwd=options.cwd, follow_symlinks=options.follow_symlinks,
                                use_git=options.use_git, include=options.include, exclude=options.exclude):
        if isinstance(item, Skip):
            skips.append(item)
            continue
        source = read_source(item, max_bytes=options.max_bytes)
        if isinstance(source, Skip):
            skips.append(source)
            continue
        scanned += 1
        if not prefilter(source.kind, source.text):
            prefiltered += 1
            continue
        result = scan_source(source, extra_hosts=options.extra_hosts)
        if isinstance(result, Skip):
            skips.append(result)
            continue
        findings.extend(f for f in result if f.rule_id not in options.disabled_rules)
    return build_result(findings, skips, scanned, time.perf_counter() - started, prefiltered,
                        roots=tuple(paths))


def build_result(findings: Iterable[Finding], skips: Iterable[Skip], scanned: int, duration: float,
                 prefiltered: int = 0, roots: tuple[str, ...] = ()) -> ScanResult:
    """Sort findings and compute the scan-level and per-file scope plans."""
    ordered = tuple(sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule_id)))
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
