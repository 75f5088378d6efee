"""The `celonis-migrator` command: parse options, call api, print, map errors to exit codes.

Exit codes: 0 no new findings, 1 new findings (or `fix` would change files), 2 usage, scan,
configuration or baseline error.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

import click

from migrator import __version__
from migrator.errors import MigratorError

if TYPE_CHECKING:
    from migrator.api import ScanOptions
    from migrator.config import Config
from migrator.redact import scrub


class CliError(click.ClickException):
    """A usage or scan error: one line on stderr, exit code 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))


def _write(text: str, output: Optional[str]) -> None:
    if output and output != "-":
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror}") from None
    else:
        click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="celonis-migrator")
def cli() -> None:
    """Find static Celonis API keys (AppKey and user API keys) and move the code to OAuth.

    Celonis retired static keys at the end of March 2026. `scan` finds every use,
    maps each Celonis call to its OAuth scope and permission, and prints the
    least-privilege scope plan and the blockers.

    \b
    Example:
        celonis-migrator scan .
        celonis-migrator scan --format json src/ > findings.json
    """


_F = TypeVar("_F", bound=Callable[..., Any])



class _JobsType(click.ParamType):
    """--jobs: a number of worker processes >= 1, or `auto` (0 in ScanOptions)."""

    name = "jobs"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return 0
        if text.isdigit() and int(text) >= 1:
            return int(text)
        self.fail(f"{value!r} is not a number >= 1 or 'auto'", param, ctx)


_JOBS = _JobsType()


def _scan_settings(f: _F) -> _F:
    """The options shared by `scan` and `baseline create|update`: what to scan and how."""
    options = [
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     help="Read settings from FILE instead of the pyproject.toml [tool.celonis-migrator] "
                          "or .celonis-migrator.toml found from the current directory."),
        click.option("--max-file-size", type=click.IntRange(min=1), default=None, metavar="BYTES",
                     help="Skip files larger than this many bytes.  [default: 5000000]"),
        click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected)."),
        click.option("--no-git", is_flag=True, help="Walk directories instead of asking git (ignores .gitignore)."),
        click.option("--include", multiple=True, metavar="GLOB", help="Only scan files matching GLOB (repeatable)."),
        click.option("--exclude", multiple=True, metavar="GLOB", help="Do not scan files matching GLOB (repeatable)."),
        click.option("--extra-host", multiple=True, metavar="HOST",
                     help="Treat HOST as a Celonis team host (private or dedicated realm; repeatable)."),
        click.option("--disable-rule", multiple=True, metavar="RULE_ID", help="Do not report RULE_ID (repeatable)."),
        click.option("--severity", "severity", multiple=True, metavar="RULE_ID=LEVEL",
                     help="Report RULE_ID's findings as LEVEL: high, medium, low or info (repeatable)."),
        click.option("-j", "--jobs", type=_JOBS, default=None, metavar="N|auto",
                     help="Worker processes. auto: one per core (at most 8), started only when more than "
                          "1000 files are to be scanned; 1: all in this process.  [default: auto]"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _settings(kw: dict[str, Any]) -> tuple[ScanOptions, Config]:
    """ScanOptions from the command line over the configuration file, and the Config itself."""
    from migrator.api import ScanOptions
    from migrator.config import load_config
    from migrator.types import SEVERITIES

    def rule_ids() -> tuple[str, ...]:
        # The ruleset is read only when rule ids need checking: a pre-commit run on one file stays quick.
        from migrator.ruleset import default_ruleset

        return tuple(default_ruleset().ids)

    known = set(rule_ids()) if kw["disable_rule"] or kw["severity"] else set()
    for rid in kw["disable_rule"]:
        if rid not in known:
            raise CliError(f"unknown rule id {rid!r}; known rules: {', '.join(sorted(known))}")
    overrides: dict[str, str] = {}
    for item in kw["severity"]:
        rid, sep, level = item.partition("=")
        if not sep or rid not in known or level not in SEVERITIES:
            raise CliError(f"--severity {item!r}: expected RULE_ID=LEVEL with a known rule id and a level of "
                           f"{', '.join(SEVERITIES)}; known rules: {', '.join(sorted(known))}")
        overrides[rid] = level
    if kw["config_file"] and not os.path.isfile(kw["config_file"]):
        raise CliError(f"--config {kw['config_file']}: no such file")
    config = load_config(kw["config_file"], known_rules=rule_ids)
    options = ScanOptions(
        max_bytes=kw["max_file_size"] or config.max_file_size or 5_000_000,
        follow_symlinks=kw["follow_symlinks"],
        use_git=not kw["no_git"],
        include=kw["include"] or config.include,
        exclude=kw["exclude"] or config.exclude,
        extra_hosts=tuple(h.lower() for h in kw["extra_host"]) or config.extra_hosts,
        disabled_rules=kw["disable_rule"] or config.disable_rules,
        severity_overrides=tuple({**dict(config.severity), **overrides}.items()),
        jobs=kw["jobs"] if kw["jobs"] is not None else (config.jobs if config.jobs is not None else 0),
    )
    return options, config


def _shown(path: str) -> str:
    """A path relative to the cwd when it is under it."""
    rel = os.path.relpath(path)
    return path if rel.startswith(os.pardir) else rel.replace(os.sep, "/")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "csv"]), default="text",
              show_default=True,
              help="Output format: json is the documented contract, sarif is for GitHub code scanning, "
                   "csv is the findings table.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE instead of stdout.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Findings in this baseline are reported as known; only new ones fail the run.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (report-only CI jobs).")
@click.option("-q", "--quiet", is_flag=True,
              help="Text: only one line per new finding. All formats: no progress, no notes on stderr.")
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set; colour is only used on a TTY).")
@click.option("-v", "--verbose", is_flag=True, help="List every skipped path with its reason.")
@click.option("--cache-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep detector results in DIR, keyed by file content, rules and options: a re-scan "
                   "parses only what changed.")
@_scan_settings
def scan(paths: tuple[str, ...], fmt: str, output: Optional[str], baseline_file: Optional[str], exit_zero: bool,
         quiet: bool, no_color: bool, verbose: bool, cache_dir: Optional[str], **kw: Any) -> None:
    """Scan PATHS for static Celonis keys and plan the OAuth scopes that replace them.

    Exits 1 when there are new findings (not in the baseline, not ignored inline), 0 when
    there are none, 2 on a usage, configuration or baseline error. Settings come from
    [tool.celonis-migrator] in pyproject.toml or .celonis-migrator.toml; options override them.

    \b
    Example:
        celonis-migrator scan examples/legacy-scripts
        celonis-migrator scan --format json -o findings.json .
        celonis-migrator scan --format sarif -o celonis.sarif --baseline .celonis-migrator-baseline.json .
    """
    from dataclasses import replace

    from migrator.api import scan as run_scan
    from migrator.terminal import Progress, colour_enabled, colour_report, is_tty

    options, config = _settings(kw)
    chosen = baseline_file or config.baseline
    options = replace(options, baseline=_shown(chosen) if chosen else None,
                      cache_dir=os.path.abspath(cache_dir) if cache_dir else None)
    with Progress(enabled=not quiet and is_tty(sys.stderr)) as progress:
        result = run_scan(list(paths), options, on_file=progress)
    if fmt == "json":
        from migrator.outputs.json_format import render as render_json

        text = render_json(result)
    elif fmt == "sarif":
        from migrator.outputs.sarif_format import render as render_sarif
        from migrator.ruleset import default_ruleset

        text = render_sarif(result, rules=default_ruleset().rules)
    elif fmt == "csv":
        from migrator.outputs.csv_format import render as render_csv

        text = render_csv(result)
    elif quiet:
        text = "".join(f"{_where(f)}: {f.severity}: {f.rule_id}: {f.message}\n" for f in result.new_findings)
    else:
        from migrator.outputs.text_format import render as render_text

        text = render_text(result, verbose=verbose) + _status_text(result)
    if fmt == "text" and not (output and output != "-"):
        text = colour_report(text, enabled=colour_enabled(sys.stdout, no_color=no_color))
    _write(scrub(text), output)
    if fmt != "text" and not quiet:
        _notes(result)
    broken = sum(1 for skip in result.skips if skip.reason == "internal-error")
    if broken:
        # Our bug, not bad input: the result is incomplete, so CI must not read it as clean.
        click.echo(f"Error: {broken} file(s) could not be scanned because of an internal error (listed in "
                   f"the report; please report it); exit 2", err=True)
        sys.exit(2)
    if result.new_findings and not exit_zero:
        sys.exit(1)


def _where(f: Any) -> str:
    from migrator.outputs.text_format import safe

    return f"{safe(f.path)}:{f.line}:{f.column}"


def _status_text(result: Any) -> str:
    """Baseline and inline-ignore status, after the text report; empty when neither is in use."""
    from migrator.outputs.text_format import safe

    lines: list[str] = []
    if result.baseline_path is not None:
        new = result.new_findings
        lines.append(f"Baseline {safe(result.baseline_path)}: {len(result.findings) - len(new)} known "
                     f"finding(s) (not failing), {len(new)} new.")
        if new:
            lines.append("New findings (not in the baseline):")
            lines += [f"  {_where(f)}: {f.rule_id}" for f in new]
        if result.stale_baseline:
            lines.append("Stale baseline entries (match no finding; `celonis-migrator baseline update` drops them):")
            lines += [f"  {safe(e.path)}: {e.rule_id} {e.fingerprint[:12]}" for e in result.stale_baseline]
    if result.suppressed:
        lines.append(f"{len(result.suppressed)} finding(s) silenced by `celonis-migrator: ignore` comments.")
    if result.unused_ignores:
        lines.append("Unused ignore comments (match no finding; remove them):")
        for u in result.unused_ignores:
            rules = f"[{','.join(u.rules)}]" if u.rules else ""
            lines.append(f"  {safe(u.path)}:{u.line}: celonis-migrator: ignore{rules}")
    return "".join(line + "\n" for line in lines)


def _notes(result: Any) -> None:
    """One line on stderr about what a machine format reports but a person may miss."""
    parts = []
    if result.stale_baseline:
        parts.append(f"{len(result.stale_baseline)} stale baseline entr{'y' if len(result.stale_baseline) == 1 else 'ies'}")
    if result.unused_ignores:
        parts.append(f"{len(result.unused_ignores)} unused ignore comment(s)")
    if parts:
        click.echo(f"note: {', '.join(parts)} (listed in the report)", err=True)


@cli.group("baseline")
def baseline_group() -> None:
    """Write the baseline: findings accepted for now, so that only new ones fail `scan`.

    Entries are identified by rule, path and a hash of the code, never by line number,
    and hold no key. Commit the file.

    \b
    Example:
        celonis-migrator baseline create .
        celonis-migrator scan --baseline .celonis-migrator-baseline.json .
        celonis-migrator baseline update .
    """


def _baseline_target(baseline_file: Optional[str], config: Config) -> str:
    from migrator.baseline import DEFAULT_PATH

    return _shown(baseline_file or config.baseline or DEFAULT_PATH)


_BASELINE_OPTION = click.option(
    "--baseline", "baseline_file", type=click.Path(dir_okay=False), metavar="FILE",
    help="Baseline file.  [default: `baseline` in the configuration, else .celonis-migrator-baseline.json]")


@baseline_group.command("create")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@_BASELINE_OPTION
@click.option("--force", is_flag=True, help="Overwrite an existing baseline file.")
@_scan_settings
def baseline_create(paths: tuple[str, ...], baseline_file: Optional[str], force: bool, **kw: Any) -> None:
    """Record every current finding of PATHS (default: .) as accepted.

    \b
    Example:
        celonis-migrator baseline create .
    """
    from migrator import baseline as bl
    from migrator.api import scan as run_scan

    options, config = _settings(kw)
    target = _baseline_target(baseline_file, config)
    if os.path.exists(target) and not force:
        raise CliError(f"{target} exists; use `celonis-migrator baseline update` or `--force`")
    result = run_scan(list(paths or (".",)), options)
    entries = bl.entries_of(result.findings)
    bl.save(target, entries)
    click.echo(f"Wrote {len(entries)} finding(s) to {target}.", err=True)


@baseline_group.command("update")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@_BASELINE_OPTION
@_scan_settings
def baseline_update(paths: tuple[str, ...], baseline_file: Optional[str], **kw: Any) -> None:
    """Add the new findings of PATHS (default: .) and drop stale entries; other files' entries stay.

    \b
    Example:
        celonis-migrator baseline update .
    """
    from dataclasses import replace

    from migrator import baseline as bl
    from migrator.api import scan as run_scan

    options, config = _settings(kw)
    target = _baseline_target(baseline_file, config)
    if not os.path.exists(target):
        raise CliError(f"{target} does not exist; create it with `celonis-migrator baseline create`")
    old = bl.load(target)
    result = run_scan(list(paths or (".",)), replace(options, baseline=target))
    entries = bl.updated(old, bl.entries_of(result.findings), result.stale_baseline)
    added, removed = len(set(entries) - set(old)), len(set(old) - set(entries))
    if set(entries) != set(old):
        bl.save(target, entries)
    click.echo(f"Updated {target}: {len(entries)} finding(s); added {added}, removed {removed}.", err=True)


def _fix_settings(f: _F) -> _F:
    """`_scan_settings` for `fix`: the same options, config file and validation (`_settings`), without
    --severity and --jobs, which mean nothing to fix."""
    probe = _scan_settings(lambda **kw: None)
    params = [p for p in getattr(probe, "__click_params__", []) if p.name not in ("severity", "jobs")]
    f.__click_params__ = [*getattr(f, "__click_params__", []), *params]  # type: ignore[attr-defined]
    return f


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--write", is_flag=True, help="Apply the changes (default: print a unified diff and change nothing).")
@click.option("-q", "--quiet", is_flag=True,
              help="On stderr, only one line per file that needs attention (failed, skipped, sites left for a "
                   "human, key literals to revoke); no summary.")
@_fix_settings
def fix(paths: tuple[str, ...], write: bool, quiet: bool, **kw: Any) -> None:
    """Rewrite Python code and notebooks under PATHS to OAuth client credentials.

    Prints a unified diff and changes nothing, unless --write is given. Migrated code reads
    CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET (or the names in `oauth-env` of the
    configuration) and gets tokens through a generated, stdlib-only celonis_oauth.py next to
    it. Sites that cannot be rewritten safely are left unchanged, listed on stderr and, with
    --write only, marked `# TODO(celonis-oauth): ...`. Config files, scripts and docs with
    findings are listed with the edits to make by hand. Settings come from
    [tool.celonis-migrator] in pyproject.toml or .celonis-migrator.toml, as for `scan`.

    Exit codes: 0 every finding in PATHS was migrated (with --write) or nothing is left to do;
    1 changes would be made (without --write), or work is left for a human: sites not
    rewritten, skipped files (a celonis_oauth.py or celonis_oauth/ package that is not ours, a
    symlink, a read-only file, a notebook whose layout cannot be kept, a syntax error), config
    files or other files with findings, key literals to delete and revoke; 2 a file could not
    be written, or invalid options or configuration.

    \b
    Example:
        celonis-migrator fix scripts/
        celonis-migrator fix --write scripts/ notebooks/report.ipynb
    """
    from migrator.api import fix as run_fix

    kw.setdefault("severity", ())
    kw.setdefault("jobs", None)
    options, config = _settings(kw)
    env = (config.oauth_client_id_env, config.oauth_client_secret_env)
    outcomes = run_fix(list(paths), write=write, options=options, oauth_env=env)
    if not write:
        click.echo(scrub("".join(o.diff for o in outcomes if o.kind == "changed")), nl=False)
    click.echo(scrub(_fix_summary(outcomes, write, env, quiet=quiet)), err=True, nl=False)
    sys.exit(_fix_exit_code(outcomes, write))


def _fix_exit_code(outcomes: list, write: bool) -> int:  # type: ignore[type-arg]
    """2: a file could not be written (or fix failed on it); 1: work left for a human, or changes to apply
    (without --write); 0: nothing left."""
    if any(o.kind == "failed" for o in outcomes):
        return 2
    if any(o.kind == "skipped" or o.manual for o in outcomes):
        return 1
    return 1 if not write and any(o.kind == "changed" for o in outcomes) else 0


def _fix_summary(outcomes: list, write: bool, env: tuple[str, str] = ("CELONIS_CLIENT_ID", "CELONIS_CLIENT_SECRET"),
                 *, quiet: bool = False) -> str:  # type: ignore[type-arg]
    from migrator.codemods import LEAKED_LITERAL
    from migrator.outputs.text_format import safe

    changed = [o for o in outcomes if o.kind == "changed"]
    sites = sum(len(o.manual) for o in outcomes)
    blockers = sorted({b for o in outcomes for b in o.blockers})
    leaks = sum(1 for o in outcomes for _line, reason in o.manual if reason == LEAKED_LITERAL or "revoke it" in reason)
    verb = "changed" if write else "would change"
    lines = [] if quiet else [
        f"celonis-migrator fix: {len(changed)} file(s) {verb}, {sum(o.fixed for o in outcomes)} finding(s) fixed, "
        f"{sites} site(s) left for a human, {len(blockers)} endpoint(s) to verify"]
    for o in outcomes:
        if quiet and not (o.kind in ("skipped", "failed") or o.manual):
            continue
        state = {"changed": verb, "unchanged": "unchanged", "skipped": "skipped", "failed": "FAILED"}[o.kind]
        head = f"  {o.path}: {state}" + (f", {o.fixed} finding(s) fixed" if o.fixed else "")
        lines.append(head + (f" ({o.reason})" if o.kind in ("skipped", "failed") and o.reason else ""))
        notebook = o.path.lower().endswith(".ipynb")
        for line, reason in o.manual:
            where, text = _fix_where(line, reason, notebook)
            lines.append(f"    {where}left for a human: {text}")
        if o.kind not in ("skipped", "failed") and not quiet:
            lines.extend(f"    {note}" for note in o.reason.splitlines())
    if quiet:
        return "".join(safe(line) + "\n" for line in lines)
    if blockers:
        lines.append("  endpoints with no documented OAuth scope (migrated; verify with Celonis):")
        lines.extend(f"    {b}" for b in blockers)
    if leaks:
        lines.append(f"{leaks} static key(s) are still in the files above: delete them and revoke each key in Celonis "
                     "now (a committed key stays usable from the git history until it is revoked).")
    if any(o.fixed for o in changed):
        lines.append(f"Migrated code reads {env[0]} and {env[1]} (an OAuth client holding the scopes in the "
                     "diff); set CELONIS_OAUTH_AUTH_METHOD=post for a client_secret_post client.")
    return "".join(safe(line) + "\n" for line in lines)


def _fix_where(line: int, reason: str, notebook: bool) -> tuple[str, str]:
    """("cell 2, line 3: " | "line 7: " | "", reason) for a site left for a human."""
    if notebook and reason.startswith("cell "):
        cell, sep, rest = reason[5:].partition(": ")
        if sep and cell.isdigit():
            return (f"cell {cell}, line {line}: " if line else f"cell {cell}: "), rest
    return (f"line {line}: " if line else ""), reason


@cli.group(invoke_without_command=True)
@click.pass_context
def rules(ctx: click.Context) -> None:
    """List the detection rules and the API-to-scope table.

    \b
    Example:
        celonis-migrator rules
        celonis-migrator rules test
    """
    if ctx.invoked_subcommand is not None:
        return
    from migrator.apitable import default_table
    from migrator.ruleset import default_ruleset

    lines = ["Detection rules:"]
    for r in default_ruleset().rules:
        lines.append(f"  {r.id:<30} {r.severity:<7} {r.name}")
    lines.append("")
    lines.append("API-to-scope table (D documented, C client-level claim, I inferred, B blocker):")
    for row in default_table().rows:
        scope = row.scope or "no known OAuth scope"
        lines.append(f"  {row.id:<34} {row.status}  {scope:<45} {row.paths[0].text if row.paths else '(no published path)'}")
    click.echo("\n".join(lines))


@rules.command("test")
def rules_test() -> None:
    """Run every rule's must-match and must-not-match examples; exit 1 on a failure."""
    from migrator.rulecheck import check_all

    failures = check_all()
    for line in failures:
        click.echo(f"FAIL {line}")
    click.echo(f"{'all examples pass' if not failures else f'{len(failures)} example(s) failed'}")
    if failures:
        sys.exit(1)


def _report_inputs(paths: tuple[str, ...], from_json: tuple[str, ...], kw: dict[str, Any], *,
                   with_diffs: bool) -> tuple[list[Any], Any]:
    """Scan inputs for `report` and `verify-client` (PATHS scanned now, saved scan JSON files) and the Config."""
    from migrator.report import load_scan_json, scan_input

    inputs = []
    options, config = _settings(kw)
    if paths:
        inputs.append(scan_input(paths, options, with_diffs=with_diffs))
    for path in from_json:
        if not os.path.isfile(path):
            raise CliError(f"--from {path}: no such file")
        try:
            inputs.append(load_scan_json(path))
        except MigratorError as exc:
            raise CliError(str(exc)) from None
    return inputs, config


def _client_of_team(clients: Any, team_url: str) -> Optional[str]:
    """The only report client whose token URL is on TEAM_URL's host (a client belongs to one team)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(team_url if "://" in team_url else "https://" + team_url).hostname or "").lower()
    except ValueError:
        return None
    matches = [c.name for c in clients if any(t.host == host for t in c.token_urls)]
    return matches[0] if len(matches) == 1 else None


def _team_scopes(model: Any, team_url: str) -> list[str]:
    """The planned scopes to check against TEAM_URL: those of every client except the clients whose
    token URL is on another team's host (a client belongs to one team)."""
    from urllib.parse import urlsplit

    from migrator.scopes import merge_plans

    try:
        host = (urlsplit(team_url if "://" in team_url else "https://" + team_url).hostname or "").lower()
    except ValueError:
        host = ""
    mine = [c for c in model.clients
            if not any(t.host and "{" not in t.host and t.host != host for t in c.token_urls)]
    if not host or not mine or len(mine) == len(model.clients):
        return [s.scope for s in model.plan.scopes]
    return [s.scope for s in merge_plans(c.plan for c in mine).scopes]


def _client_credentials() -> tuple[str, str]:
    return os.environ.get("CELONIS_CLIENT_ID", ""), os.environ.get("CELONIS_CLIENT_SECRET", "")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--from", "from_json", multiple=True, type=click.Path(dir_okay=False), metavar="SCAN.json",
              help="Add a saved `scan --format json` result (repeatable: one per repository, merged into one report).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["html", "csv"]), default="html", show_default=True,
              help="html: the self-contained report; csv: one of its tables (see --table).")
@click.option("--table", type=click.Choice(["findings", "plan", "permissions", "blockers"]), default="findings",
              show_default=True, help="With --format csv: the table to export.")
@click.option("--title", metavar="TEXT", help="Report title.  [default: Celonis OAuth migration report]")
@click.option("--clients", "grouping", type=click.Choice(["per-repo", "per-app", "single"]), default="per-repo",
              show_default=True,
              help="One OAuth client per repository (scan root), per application (top-level directory under a "
                   "repository), or a single client for everything. A client belongs to one Celonis team: "
                   "code that reaches several team hosts gets one client per team (NAME@team).")
@click.option("--client-name", default="celonis-oauth-client", show_default=True, metavar="NAME",
              help="The client's name with --clients single.")
@click.option("--auth-method", type=click.Choice(["client_secret_basic", "client_secret_post"]),
              default="client_secret_basic", show_default=True,
              help="Client authentication method to register the clients with.")
@click.option("--granted", "granted_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="granted.yaml: scopes and permissions already assigned per client; the report shows them as done.")
@click.option("--granted-from-live", "live_url", metavar="TEAM_URL",
              help="Ask TEAM_URL's token endpoint which planned scopes the client in CELONIS_CLIENT_ID / "
                   "CELONIS_CLIENT_SECRET holds (see verify-client), and mark them done.")
@click.option("--live-client", metavar="NAME",
              help="The report client those credentials belong to.  [default: the only client, or the only "
                   "client of TEAM_URL's team host]")
@click.option("--no-diffs", is_flag=True, help="Leave out the changes `fix` would make (they are never written).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), hidden=True)
@_scan_settings
def report(paths: tuple[str, ...], from_json: tuple[str, ...], output: Optional[str], fmt: str, table: str,
           title: Optional[str], grouping: str, client_name: str, auth_method: str, granted_file: Optional[str],
           live_url: Optional[str], live_client: Optional[str], no_diffs: bool, today: Any, **kw: Any) -> None:
    """Write the migration report: what uses static keys, the OAuth clients to register with
    their scopes, the permissions still to assign, and the blockers.

    Scans PATHS (one repository per PATH) and/or reads saved scans (--from); several
    repositories merge into one portfolio report. One self-contained HTML file: it loads
    nothing from the network, works offline and prints. No key, secret or token is shown.

    \b
    Example:
        celonis-migrator report examples/legacy-scripts -o report.html
        celonis-migrator report . -o report.html --granted granted.yaml --title "ACME P2P"
        celonis-migrator report --from billing.json --from p2p.json -o portfolio.html
        celonis-migrator report . --format csv --table permissions -o permissions.csv
    """
    from migrator import report as rp
    from migrator.granted import Granted, load_granted, with_live_scopes

    if not paths and not from_json:
        raise CliError("give PATHs to scan or --from SCAN.json (or both)")
    if granted_file and not os.path.isfile(granted_file):
        raise CliError(f"--granted {granted_file}: no such file")
    inputs, config = _report_inputs(paths, from_json, kw, with_diffs=not no_diffs and fmt == "html")
    granted = load_granted(granted_file) if granted_file else Granted()
    day = today.date() if today else None
    settings: dict[str, Any] = {"clients": grouping, "client_name": client_name, "title": title, "today": day,
                                "auth_method": auth_method, "client_globs": config.clients}
    model = rp.build_report(inputs, granted=granted, **settings)
    if live_url:
        from migrator.verify_client import verify_client

        names = [c.name for c in model.clients]
        name = live_client or (names[0] if len(names) == 1 else _client_of_team(model.clients, live_url))
        if name not in names:
            raise CliError(f"--live-client: name the report client the credentials belong to; clients: "
                           f"{', '.join(names) or 'none'}")
        client = next(c for c in model.clients if c.name == name)
        client_id, secret = _client_credentials()
        checked = verify_client(live_url, [s.scope for s in client.scopes], client_id=client_id,
                                client_secret=secret, auth_method=auth_method)
        granted = with_live_scopes(granted, name, checked.granted, f"live check of {checked.token_url}")
        model = rp.build_report(inputs, granted=granted, **settings)
        click.echo(f"live check: client {name} holds {len(checked.granted)} of {len(checked.requested)} planned "
                   f"scopes", err=True)
    if fmt == "csv":
        text = rp.csv_text(model, inputs, table)
    else:
        from migrator.outputs.html_format import render as render_html

        text = render_html(model)
    _write(scrub(text), output)
    for warning in model.granted_warnings:
        click.echo(f"warning: {warning}", err=True)
    s = model.summary
    click.echo(f"report: {s.findings} finding(s) in {s.files} file(s), {s.clients} OAuth client(s), "
               f"{s.permissions_to_assign} of {s.permissions_total} permission(s) still to assign, "
               f"{s.blockers} blocker(s)" + (f"; wrote {output}" if output and output != "-" else ""), err=True)


@cli.command("verify-client")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--team-url", required=True, envvar="CELONIS_URL", metavar="URL",
              help="The team, e.g. https://acme.eu-1.celonis.cloud (env CELONIS_URL); tokens come from URL/oauth2/token.")
@click.option("--scopes", metavar="SCOPES",
              help="Space- or comma-separated scopes to check.  [default: the scope plan of PATHS or --from]")
@click.option("--from", "from_json", multiple=True, type=click.Path(dir_okay=False), metavar="SCAN.json",
              help="Take the planned scopes from a saved `scan --format json` result (repeatable).")
@click.option("--client", "client_name", metavar="NAME",
              help="Check only the planned scopes of this report client (one per repository; NAME@team "
                   "when its code reaches several teams).  [default: every client of TEAM_URL's team]")
@click.option("--auth-method", type=click.Choice(["auto", "client_secret_basic", "client_secret_post"]),
              default="auto", show_default=True,
              help="Client authentication; auto tries client_secret_basic, then client_secret_post.")
@click.option("--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, help="Seconds per request.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_scan_settings
def verify_client_command(paths: tuple[str, ...], team_url: str, scopes: Optional[str], from_json: tuple[str, ...],
                          client_name: Optional[str], auth_method: str, timeout: float, fmt: str, **kw: Any) -> None:
    """Check an OAuth client against the live token endpoint: which planned scopes it holds.

    Reads the client's credentials from CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET (never
    from the command line), requests one token for all planned scopes and, when the
    endpoint answers invalid_scope, one per scope. Prints granted and missing scopes; never
    the secret or a token. Permissions cannot be checked this way.
    Exits 0 when every scope is granted, 1 when some are missing, 2 on an error.

    \b
    Example:
        export CELONIS_CLIENT_ID=... CELONIS_CLIENT_SECRET=...
        celonis-migrator verify-client --team-url https://acme.eu-1.celonis.cloud --scopes "audit.log:read"
        celonis-migrator verify-client --team-url https://acme.eu-1.celonis.cloud .
    """
    from migrator.verify_client import result_json, result_text, verify_client

    if scopes is not None:
        wanted = [scopes]
    else:
        if not paths and not from_json:
            raise CliError("give --scopes, PATHs to plan from, or --from SCAN.json")
        from migrator.report import build_report

        inputs, config = _report_inputs(paths, from_json, kw, with_diffs=False)
        model = build_report(inputs, client_globs=config.clients)
        if client_name:
            client = next((c for c in model.clients if c.name == client_name), None)
            if client is None:
                raise CliError(f"--client {client_name!r}: no such client; clients: "
                               f"{', '.join(c.name for c in model.clients) or 'none'}")
            wanted = [s.scope for s in client.scopes]
        else:
            wanted = _team_scopes(model, team_url)
    client_id, secret = _client_credentials()
    result = verify_client(team_url, wanted, client_id=client_id, client_secret=secret, auth_method=auth_method,
                           timeout=timeout)
    click.echo(result_json(result) if fmt == "json" else result_text(result, client_id), nl=False)
    if result.missing:
        sys.exit(1)


#: Hidden test hook: "1" makes detection raise an uncaught error quoting the scanned text (a crash),
#: "detector" makes every detector raise it (each file becomes an internal-error skip). The tests use it
#: to prove that neither path ever prints a key. Read here only.
_TEST_CRASH = "CELONIS_MIGRATOR_TEST_CRASH"


def _install_test_crash(mode: str) -> None:
    import types

    from migrator import detect

    def boom(source: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"test crash in {source.path}: {' '.join(source.text.split())}")

    if mode == "detector":
        detect._module = lambda kind: types.SimpleNamespace(prefilter=lambda text: True, scan=boom)  # type: ignore[assignment]
    else:
        detect._detect = boom  # type: ignore[assignment]


def _one_line(text: str) -> str:
    """Errors are one redacted line: a path or value the user typed may hold a key."""
    return " ".join(scrub(text).split())


def _help_hint(exc: click.ClickException) -> str:
    ctx = getattr(exc, "ctx", None)
    return f" (see '{ctx.command_path} --help')" if isinstance(exc, click.UsageError) and ctx is not None else ""


def main() -> None:
    """Entry point: never show a traceback that could hold a secret; unexpected errors exit 2."""
    try:
        if os.environ.get(_TEST_CRASH):
            _install_test_crash(os.environ[_TEST_CRASH])
        cli.main(standalone_mode=False, prog_name="celonis-migrator")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"Error: {_one_line(exc.format_message())}{_help_hint(exc)}", err=True)
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        click.echo("Aborted.", err=True)
        sys.exit(2)
    except MigratorError as exc:
        click.echo(f"Error: {_one_line(str(exc))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last resort: one redacted line, never a traceback
        click.echo(f"Error: internal error ({type(exc).__name__}): {scrub(str(exc)).splitlines()[0] if str(exc) else ''}",
                   err=True)
        sys.exit(2)
