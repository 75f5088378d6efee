"""The library surface: scan paths, and the only module that wires the stages together.

discover -> detect -> endpoints/scopes -> ScanResult. The CLI and every output
format work from the ScanResult this returns.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple, Optional, Sequence, Union

from migrator import scopes
from migrator.types import BaselineEntry, Finding, FixOutcome, ScanResult, Skip, UnusedIgnore

if TYPE_CHECKING:
    from migrator import codemods
    from migrator.cache import Cache
    from migrator.discover import Candidate
    from migrator.statindex import StatIndex
    from migrator.types import SourceFile


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
    #: Worker processes; 1 scans in this process; 0 ("auto") one per core, once a scan is big enough.
    jobs: int = 1
    #: Honour `celonis-migrator: ignore` comments.
    inline_ignores: bool = True
    #: Baseline file: its findings are marked "known" and do not fail a run.
    baseline: Optional[str] = None
    #: Directory of the content-hash cache of detector results (migrator.cache), or None.
    cache_dir: Optional[str] = None


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
    from migrator.discover import iter_candidates

    started = time.perf_counter()
    entries = None
    if options.baseline:
        from migrator import baseline as baseline_file

        entries = baseline_file.load(options.baseline)
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    unused: list[UnusedIgnore] = []
    skips: list[Skip] = []
    scanned_paths: set[str] = set()
    scanned = 0
    prefiltered = 0
    candidates = iter_candidates(paths, cwd=options.cwd, follow_symlinks=options.follow_symlinks,
                                 use_git=options.use_git, include=options.include, exclude=options.exclude)
    index = _stat_index(paths, options)
    for outcome in _outcomes(_answered_by(index, candidates), options):
        if isinstance(outcome, Skip):
            skips.append(outcome)
            continue
        if index is not None:
            index.record(outcome.path, outcome)
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
    if index is not None:
        index.save()
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
        files_unchanged=index.hits if index is not None else 0,
        suppressed=tuple(sorted(suppressed, key=_finding_order)),
        unused_ignores=tuple(sorted(unused, key=lambda u: (u.path, u.line))),
        baseline_path=options.baseline,
        stale_baseline=stale,
    )


def _stat_index(paths: Sequence[str], options: ScanOptions) -> Optional["StatIndex"]:
    """The stat index of this scan's roots and options (migrator.statindex), with --cache-dir only."""
    if options.cache_dir is None:
        return None
    base = os.path.abspath(options.cwd or os.getcwd())
    if not any(os.path.isdir(os.path.join(base, os.fspath(p))) for p in paths):
        # Only files (a pre-commit run): each set of files would get its own index, without end; the
        # content-hash cache serves them.
        return None
    from migrator.statindex import StatIndex

    per_file = {"max_bytes": options.max_bytes, "disabled_rules": sorted(options.disabled_rules),
                "severity": sorted(options.severity_overrides), "inline_ignores": options.inline_ignores,
                "follow_symlinks": options.follow_symlinks}
    return StatIndex(options.cache_dir, cwd=base,
                     roots=[os.fspath(p) for p in paths], options_key=per_file, extra_hosts=options.extra_hosts)


def _answered_by(index: Optional["StatIndex"], candidates: Iterable[Union["Candidate", Skip]]
                 ) -> Iterator[Union["Candidate", Skip, _FileOutcome]]:
    """Candidates, with those the stat index knows unchanged already turned into their outcome."""
    for item in candidates:
        if index is not None and not isinstance(item, Skip):
            hit = index.lookup(item.path, item.abspath)
            if hit is not None:
                yield _FileOutcome(item.path, **hit)
                continue
        yield item


#: Files per task sent to a worker: large enough that pickling and queueing cost little per file,
#: small enough that the workers share the load evenly and little is held in flight.
_CHUNK = 256


def _outcomes(candidates: Iterable[Union["Candidate", Skip, _FileOutcome]], options: ScanOptions
              ) -> Iterator[Union[_FileOutcome, Skip]]:
    """Scan each candidate, in this process or in `options.jobs` workers, in discovery order.

    Discovery streams; workers get chunks of _CHUNK files and at most 3 chunks per worker are in
    flight, so memory stays flat on a monorepo, and results come back in submission order, so
    output is deterministic.
    """
    candidates = iter(candidates)
    jobs = options.jobs
    if jobs == 0:  # auto: a small scan (a pre-commit run, a small repository) never starts workers
        for item in itertools.islice(candidates, AUTO_INLINE_FILES):
            yield item if isinstance(item, _READY) else _scan_candidate(item, options)
        head = next(candidates, None)
        if head is None:
            return
        candidates = itertools.chain([head], candidates)
        jobs = auto_jobs()
    if jobs <= 1:
        for item in candidates:
            yield item if isinstance(item, _READY) else _scan_candidate(item, options)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    _preload_for_fork()
    pool = ProcessPoolExecutor(max_workers=jobs)
    Sent = list[Union["Candidate", Skip, _FileOutcome]]
    pending: deque[tuple[Sent, Optional[Future[list[Optional[Union[_FileOutcome, Skip]]]]]]] = deque()
    chunk: Sent = []

    def submit() -> None:
        sent = list(chunk)
        busy = any(not isinstance(c, _READY) for c in sent)
        pending.append((sent, pool.submit(_scan_chunk, sent, options) if busy else None))
        chunk.clear()

    def results() -> Iterator[Union[_FileOutcome, Skip]]:
        sent, future = pending.popleft()
        if future is None:
            yield from sent  # type: ignore[misc]  # all ready
            return
        for item, outcome in zip(sent, future.result()):
            # None: a clean file decided by the prefilter (the commonest answer, not sent back in full)
            yield outcome if outcome is not None else _FileOutcome(item.path, None, True)

    try:
        for item in candidates:
            chunk.append(item)
            if len(chunk) >= _CHUNK:
                submit()
            while len(pending) >= 3 * jobs:
                yield from results()
        if chunk:
            submit()
        while pending:
            yield from results()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


#: With --jobs auto, the first this-many files are scanned in this process, and workers start only
#: for the rest: below it, starting processes costs more than it saves.
AUTO_INLINE_FILES = 1000
#: --jobs auto never starts more workers than this: past it, the one process that walks the tree
#: and collects results is the bottleneck.
AUTO_MAX_JOBS = 8


def auto_jobs() -> int:
    """Worker processes for --jobs auto: the cores this process may run on, at most AUTO_MAX_JOBS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, AUTO_MAX_JOBS))


def _preload_for_fork() -> None:
    """Import LibCST and load the API table once, before forking workers, so they inherit them.

    Each worker would otherwise pay for both itself (about 0.2 s of CPU each), and workers only start
    on scans big enough to need them. With a start method other than fork it would only cost time.
    """
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=True) not in (None, "fork") or \
            multiprocessing.get_context().get_start_method() != "fork":
        return
    import migrator.detect.python  # noqa: F401 - imports LibCST
    from migrator.apitable import default_table

    default_table()


def _scan_chunk(items: list[Union["Candidate", Skip, _FileOutcome]], options: ScanOptions
                ) -> list[Optional[Union[_FileOutcome, Skip]]]:
    """A worker's task: scan each candidate of a chunk, in order. Skips and outcomes pass through; a clean
    file decided by the prefilter comes back as None (its outcome is rebuilt from the path: less to pickle)."""
    out: list[Optional[Union[_FileOutcome, Skip]]] = []
    for item in items:
        if isinstance(item, _READY):
            out.append(item)
            continue
        outcome = _scan_candidate(item, options)
        out.append(None if outcome == _FileOutcome(outcome.path, None, True) else outcome)
    return out


#: What needs no scanning: a discovery Skip, or an outcome the stat index already had.
_READY = (Skip, _FileOutcome)

_CACHES: dict[tuple[str, tuple[str, ...]], "Cache"] = {}


def _cache_for(options: ScanOptions) -> Optional["Cache"]:
    """One Cache per process and setting (workers build their own)."""
    if options.cache_dir is None:
        return None
    from migrator.cache import Cache

    key = (options.cache_dir, options.extra_hosts)
    if key not in _CACHES:
        _CACHES[key] = Cache(options.cache_dir, options.extra_hosts)
    return _CACHES[key]


def _scan_candidate(candidate: "Candidate", options: ScanOptions) -> _FileOutcome:
    """Read, prefilter, detect, then apply severity overrides and inline ignores, for one file."""
    from migrator import detect, discover  # (bound per call: cheap, and tests may patch their functions)

    data = discover.read_bytes(candidate, max_bytes=options.max_bytes)
    if isinstance(data, Skip):
        return _FileOutcome(candidate.path, data)
    if detect.certainly_clean(candidate.kind, data) and not (options.inline_ignores and _IGNORE_MARKER in data):
        return _FileOutcome(candidate.path, None, True)  # (an ignore comment there may be unused: look)
    from migrator.ignores import apply_ignores

    source = discover.decode(candidate, data)
    if isinstance(source, Skip):
        return _FileOutcome(candidate.path, source)
    result, passed = detect.detect_file(source, extra_hosts=options.extra_hosts, cache=_cache_for(options))
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


_IGNORE_MARKER = b"celonis-migrator:"  # migrator.ignores.MARKER (tests/test_ignores.py checks they agree)


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


def fix(paths: Sequence[str], *, write: bool, options: ScanOptions = ScanOptions(),
        oauth_env: tuple[str, str] = ("CELONIS_CLIENT_ID", "CELONIS_CLIENT_SECRET")) -> list[FixOutcome]:
    """Rewrite Python files and notebooks under `paths` to OAuth; write them only when `write` is True.

    One FixOutcome per file with something to report (sorted by path), plus one per generated
    `celonis_oauth.py` helper (created, or refreshed when an older celonis-migrator or other env var
    names made it). A changed outcome's `diff` is masked (`migrator.codemask`) and scrubbed; its
    `reason` holds notes for the user, one per line; `manual` lists what is left for a human, real-shape
    key literals still in the file included (delete them, revoke the key). Every other file with
    findings (config files, shell scripts, docs, other languages) gets a "skipped" outcome listing each
    finding of the scan with the edit to make by hand. A file that can never be written (a symlink, a
    read-only file, a helper shadowed by a `celonis_oauth` package) is "skipped" with the reason, in a
    preview too. `oauth_env` names the env vars of the OAuth client id and secret the helper reads.
    Never raises for bad input: problems are "skipped"/"failed" outcomes.
    """
    from migrator import writeback
    from migrator.codemods import helper
    from migrator.codemods.config_advice import REWRITTEN_KINDS, config_outcome
    from migrator.discover import iter_candidates, read_source
    from migrator.types import ScopePlan

    roots = writeback.Roots(paths, options.cwd)
    env = (oauth_env[0], oauth_env[1])
    outcomes: list[FixOutcome] = []
    loaded: list[tuple[SourceFile, bytes]] = []
    others: list[tuple[SourceFile, tuple[Finding, ...]]] = []
    for item in iter_candidates(paths, cwd=options.cwd, follow_symlinks=options.follow_symlinks,
                                use_git=options.use_git, include=options.include, exclude=options.exclude):
        if isinstance(item, Skip):
            skipped = _fix_skip(item, roots, options.cwd)
            if skipped is not None:
                outcomes.append(skipped)
            continue
        if item.kind not in REWRITTEN_KINDS:
            # Not rewritten, but every finding the scan reports here is work left: list it with its edit.
            scanned = _scan_candidate(item, options)
            if scanned.skip is None and scanned.findings:
                text = read_source(item, max_bytes=options.max_bytes)
                if not isinstance(text, Skip):
                    others.append((text, scanned.findings))
            continue
        source = read_source(item, max_bytes=options.max_bytes)
        if isinstance(source, Skip):
            outcomes.append(FixOutcome(source.path, "skipped", reason=f"{source.reason}: {source.detail}"))
            continue
        with open(source.abspath, "rb") as fh:
            loaded.append((source, fh.read()))

    texts = [(s.path, s.text) for s, _b in loaded if s.kind == "python"]
    rewrites: list[tuple[SourceFile, bytes, codemods.Rewrite]] = []
    plans: list[ScopePlan] = []
    #: Directory -> [a file there newly imports the helper (else its code already did), directory as shown].
    users: dict[str, list[Any]] = {}
    for source, original in loaded:
        if _is_generated_helper(source):
            continue
        directory = os.path.dirname(source.abspath)
        if _imports_helper(source.text):
            users.setdefault(directory, [False, os.path.dirname(source.path)])
        done = _fix_one(source, texts, roots, options, write)
        if done is None:
            continue
        rw, plan = done
        plans.append(plan)
        if rw.outcome.kind == "changed" and _imports_helper(rw.code):
            users.setdefault(directory, [True, os.path.dirname(source.path)])[0] = True
        rewrites.append((source, original, rw))

    unusable = _fix_helpers(users, helper.helper_source(*env), env, roots, write, outcomes)
    for source, original, rw in rewrites:
        outcome = rw.outcome
        directory = os.path.dirname(source.abspath)
        if outcome.kind == "changed" and _imports_helper(rw.code) and directory in unusable:
            outcome = FixOutcome(source.path, "skipped", manual=outcome.manual, reason=unusable[directory])
        elif write and outcome.kind == "changed":
            try:
                if source.kind == "python":
                    writeback.check_python(rw.code, source.path)
                writeback.atomic_write(source.abspath, writeback.encode_like(original, rw.code), roots,
                                       expected=original)
            except (OSError, writeback.WriteError) as exc:
                outcome = FixOutcome(source.path, "failed", reason=str(exc), manual=outcome.manual)
        outcomes.append(outcome)

    union = scopes.merge_plans(plans).scope_string
    for source, found in others:
        advice = config_outcome(source.path, source.kind, source.text, found, union, env)
        if advice is not None:
            outcomes.append(advice)
    return sorted(outcomes, key=lambda o: o.path)


def _fix_skip(item: Skip, roots: Any, cwd: Optional[str]) -> Optional[FixOutcome]:
    """The outcome of a Python file or notebook that discovery skipped; None for other files, and for a
    symlink whose target fix handles under its real path anyway."""
    if not item.path.lower().endswith((".py", ".ipynb")):
        return None
    if item.reason in ("symlink", "symlink-loop"):
        real = os.path.realpath(os.path.join(os.path.abspath(cwd or os.getcwd()), item.path))
        if os.path.isfile(real) and roots.allows(real):
            return None
        return FixOutcome(item.path, "skipped", reason="is a symlink: not rewritten (pass the real path)")
    return FixOutcome(item.path, "skipped", reason=f"{item.reason}: {item.detail}")


def _imports_helper(text: str) -> bool:
    """Does this code (or notebook JSON) import the generated helper?"""
    import re

    from migrator.codemods import helper

    return re.search(rf"(?:\bfrom\s+\.?{helper.MODULE}\s+import\b|\bimport\s+{helper.MODULE}\b)", text) is not None


def _is_generated_helper(source: "SourceFile") -> bool:
    from migrator.codemods import helper

    return os.path.basename(source.path) == helper.FILENAME and source.text.startswith("# Generated by celonis-migrator")


def _package_module(source: "SourceFile") -> bool:
    """Is this a module of a package (its directory has `__init__.py`)? Then the helper is imported both ways.

    `import pkg.mod` needs `from .celonis_oauth import ...` (pkg/ is not on sys.path), while
    `python pkg/mod.py` needs `from celonis_oauth import ...` (no parent package), and a file
    cannot tell how it is run: a package module gets the relative import with the absolute one as
    its ImportError fallback. Scripts outside packages and notebooks get the absolute import.
    """
    return source.kind == "python" and os.path.isfile(os.path.join(os.path.dirname(source.abspath), "__init__.py"))


def _fix_one(source: "SourceFile", texts: list[tuple[str, str]], roots: Any, options: ScanOptions,
             write: bool) -> Optional[tuple["codemods.Rewrite", "scopes.ScopePlan"]]:
    """The rewrite of one Python file or notebook and its scope plan, or None when it holds no finding."""
    from migrator import codemods, writeback
    from migrator.detect import detect_file
    from migrator.types import ScopePlan

    nbcode = None
    try:
        code = source
        if source.kind == "notebook":
            nbcode = writeback.notebook_code(source.text)
            code = dataclasses.replace(source, kind="python", text=nbcode.code)
        # As scan finds them: the Python detector, then real-shape key literals anywhere in the code.
        found: object = detect_file(code, extra_hosts=options.extra_hosts)[0]
    except Exception as exc:  # noqa: BLE001 - malformed notebook JSON, unparsable cells
        found = Skip(source.path, "parse-error", f"{type(exc).__name__}: cannot read the code cells")
    if isinstance(found, Skip):
        return codemods.Rewrite(source.text, FixOutcome(source.path, "skipped", reason=f"{found.reason}: "
                                                        f"{found.detail}")), ScopePlan()
    findings = [f for f in found if f.rule_id not in options.disabled_rules]  # type: ignore[attr-defined]
    if not findings:
        return None
    plan = scopes.build_plan(e for f in findings for e in f.endpoints)
    refused = writeback.refusal(source.abspath, roots)
    if refused:
        return codemods.Rewrite(source.text, FixOutcome(source.path, "skipped", reason=refused)), ScopePlan()
    stem = os.path.splitext(os.path.basename(source.path))[0]
    rw = codemods.rewrite(source.path, nbcode.code if nbcode else source.text, findings, plan, write_todos=write,
                          relative_import=_package_module(source),
                          exported_names=writeback.python_files_importing(
                              [t for t in texts if t[0] != source.path], stem),
                          extra_hosts=options.extra_hosts, disabled_rules=options.disabled_rules)
    if nbcode is not None and rw.outcome.kind != "failed":
        rw = _notebook_rewrite(source, nbcode, rw, write)
    return rw, (plan if rw.outcome.kind == "changed" else ScopePlan())


def _fix_helpers(users: dict[str, list[Any]], text: str, env: tuple[str, str], roots: Any, write: bool,
                 outcomes: list[FixOutcome]) -> dict[str, str]:
    """Create or refresh the helper in each directory whose code imports it; return {directory: reason}
    for the directories where it cannot be used (the files there that need it are skipped)."""
    from migrator import codemods, writeback
    from migrator.codemods import helper

    unusable: dict[str, str] = {}
    for directory, (newly, shown_dir) in sorted(users.items()):
        target = os.path.join(directory, helper.FILENAME)
        shown = os.path.join(shown_dir, helper.FILENAME).replace(os.sep, "/")
        status, _version = helper.helper_status(target, env)
        if status == "foreign":
            if newly:
                unusable[directory] = helper.foreign_reason(target) or f"{helper.FILENAME} cannot be used"
            continue
        refused = writeback.refusal(target, roots, helper=True)
        if status == "current" or (status == "missing" and refused and not newly):
            continue  # up to date, or already-migrated code outside the given paths lacks it: not ours to create
        old = ""
        if status != "missing":
            with open(target, encoding="utf-8") as fh:
                old = fh.read()
        action = "created" if status == "missing" else "updated (an older version, or other env var names)"
        outcome = FixOutcome(shown, "changed", diff=codemods.unified_diff(shown, old, text, new_file=not old),
                             reason=f"line 1: generated OAuth helper {action}")
        if refused:
            # An outdated helper that cannot be refreshed is reported too: older versions follow redirects.
            unusable[directory] = f"{helper.FILENAME} next to this file cannot be written: {refused}"
            outcome = FixOutcome(shown, "skipped", reason=f"generated OAuth helper not {action.split(' ')[0]}: "
                                                          f"{refused}")
        elif write:
            try:
                writeback.atomic_write(target, text.encode("utf-8"), roots,
                                       expected=None if status == "missing" else old.encode("utf-8"), helper=True)
            except (OSError, writeback.WriteError) as exc:
                unusable[directory] = f"{helper.FILENAME} next to this file could not be written"
                outcome = FixOutcome(shown, "failed", reason=str(exc))
        outcomes.append(outcome)
    return unusable


def _notebook_rewrite(source, nbcode, rw, write=False):  # type: ignore[no-untyped-def]
    """Map a rewrite of a notebook's joined code back onto its JSON (cells, and cell-relative lines)."""
    from dataclasses import replace

    from migrator import codemods, writeback
    from migrator.types import FixOutcome

    cells = writeback.cell_line_map(rw.code if write and rw.outcome.kind == "changed" else nbcode.code)

    def where(line: int) -> tuple[int, int]:
        return cells[line] if 0 < line < len(cells) else ((nbcode.cells[-1] if nbcode.cells else -1), 0)

    def place(line: int) -> str:
        cell, cell_line = where(line)
        return f"cell {cell}, line {cell_line}" if cell_line else f"cell {cell}"

    manual = tuple((where(line)[1], f"cell {where(line)[0]}: {text}") if line else (0, text)
                   for line, text in rw.outcome.manual)
    notes = []
    for note in rw.outcome.reason.splitlines():
        head, sep, text = note.partition(": ")
        if sep and head.startswith("line ") and head[5:].isdigit():
            notes.append(f"{place(int(head[5:]))}: {text}")
        else:
            notes.append(note)
    if rw.outcome.kind != "changed":
        return codemods.Rewrite(source.text, replace(rw.outcome, manual=manual, reason="\n".join(notes)))
    try:
        writeback.check_python(rw.code, source.path)
        new_text = writeback.notebook_with_code(source.text, nbcode, rw.code)
    except writeback.WriteError as exc:
        return codemods.Rewrite(source.text, FixOutcome(source.path, "skipped", manual=manual, reason=str(exc)))
    outcome = replace(rw.outcome, diff=codemods.unified_diff(source.path, source.text, new_text), manual=manual,
                      reason="\n".join(notes))
    return codemods.Rewrite(new_text, outcome)
