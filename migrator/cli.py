"""The `celonis-migrator` command: parse options, call api, print, map errors to exit codes.

Exit codes: 0 no findings, 1 findings (or `fix` would change files), 2 usage or scan error.
"""

from __future__ import annotations

import sys
from typing import Optional

import click

from migrator import __version__
from migrator.errors import MigratorError
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


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format; json is the documented contract for other tools.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE instead of stdout.")
@click.option("--max-file-size", type=int, default=5_000_000, show_default=True,
              help="Skip files larger than this many bytes.")
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
@click.option("--no-git", is_flag=True, help="Walk directories instead of asking git (ignores .gitignore).")
@click.option("--include", multiple=True, metavar="GLOB", help="Only scan files matching GLOB (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Do not scan files matching GLOB (repeatable).")
@click.option("--extra-host", multiple=True, metavar="HOST",
              help="Treat HOST as a Celonis team host (private or dedicated realm; repeatable).")
@click.option("--disable-rule", multiple=True, metavar="RULE_ID", help="Do not report RULE_ID (repeatable).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (report-only CI jobs).")
@click.option("-v", "--verbose", is_flag=True, help="List every skipped path with its reason.")
def scan(paths: tuple[str, ...], fmt: str, output: Optional[str], max_file_size: int, follow_symlinks: bool,
         no_git: bool, include: tuple[str, ...], exclude: tuple[str, ...], extra_host: tuple[str, ...],
         disable_rule: tuple[str, ...], exit_zero: bool, verbose: bool) -> None:
    """Scan PATHS for static Celonis keys and plan the OAuth scopes that replace them.

    Exits 1 when there are findings, 0 when there are none, 2 on a usage error.

    \b
    Example:
        celonis-migrator scan examples/legacy-scripts
        celonis-migrator scan --format json -o findings.json .
    """
    from migrator.api import ScanOptions
    from migrator.api import scan as run_scan
    from migrator.ruleset import default_ruleset

    known = set(default_ruleset().ids)
    for rid in disable_rule:
        if rid not in known:
            raise CliError(f"unknown rule id {rid!r}; known rules: {', '.join(sorted(known))}")
    options = ScanOptions(
        max_bytes=max_file_size,
        follow_symlinks=follow_symlinks,
        use_git=not no_git,
        include=include,
        exclude=exclude,
        extra_hosts=tuple(h.lower() for h in extra_host),
        disabled_rules=disable_rule,
    )
    result = run_scan(list(paths), options)
    if fmt == "json":
        from migrator.outputs.json_format import render as render_json

        text = render_json(result)
    else:
        from migrator.outputs.text_format import render as render_text

        text = render_text(result, verbose=verbose)
    _write(text, output)
    if result.findings and not exit_zero:
        sys.exit(1)


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


def main() -> None:
    """Entry point: never show a traceback that could hold a secret; unexpected errors exit 2."""
    try:
        cli.main(standalone_mode=False, prog_name="celonis-migrator")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(2)
    except MigratorError as exc:
        click.echo(f"Error: {scrub(str(exc))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last resort: one redacted line, never a traceback
        click.echo(f"Error: internal error ({type(exc).__name__}): {scrub(str(exc)).splitlines()[0] if str(exc) else ''}",
                   err=True)
        sys.exit(2)
