"""`--format csv`: tables of the JSON contract as CSV, one row per item.

`render(result, table="findings")`. A table is a name in TABLES mapping to its columns and
a function from the context dict (context.result_dict) to rows, so a table is added with
one entry. Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR
first) get a leading `'`: paths and messages come from the scanned repository.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Callable, Iterable

from migrator.outputs.context import result_dict
from migrator.redact import scrub
from migrator.types import ScanResult

Row = dict[str, Any]
Table = tuple[tuple[str, ...], Callable[[dict[str, Any]], Iterable[Row]]]

FINDING_COLUMNS = (
    "path", "line", "column", "end_line", "end_column", "rule_id", "severity", "confidence",
    "credential_kind", "auth_scheme", "key_source", "key_source_name", "redacted", "literal_class", "leaked",
    "fixable_by", "scopes", "apis", "endpoints", "baseline_status", "suppressed", "fingerprint", "message",
)


def _finding_rows(ctx: dict[str, Any]) -> Iterable[Row]:
    for f in [*ctx["findings"], *ctx["suppressed"]]:
        yield {
            **{k: f[k] for k in ("path", "line", "column", "end_line", "end_column", "rule_id", "severity",
                                 "confidence", "credential_kind", "auth_scheme", "redacted", "literal_class",
                                 "leaked", "fixable_by", "baseline_status", "fingerprint", "message")},
            "key_source": f["key_source"]["kind"],
            "key_source_name": f["key_source"]["name"],
            "scopes": " ".join(sorted({s for e in f["endpoints"] for s in e["scopes"]})),
            "apis": " ".join(sorted({e["api"] for e in f["endpoints"] if e["api"]})),
            "endpoints": "; ".join(f"{e['method']} {e['path']}" for e in f["endpoints"]),
            "suppressed": f["ignore_line"] is not None,
        }


#: The migration report's tables (migrator.report.table_rows): one row per client and scope,
#: per client, permission and resource, and per blocker.
PLAN_COLUMNS = (
    "client", "scope", "basis", "evidence", "apis", "alternatives", "status", "status_note", "grant_type",
    "auth_method", "token_urls", "repositories",
)
PERMISSION_COLUMNS = (
    "client", "permission", "resource_type", "resource_id", "placeholder", "origin", "note", "basis", "evidence",
    "apis", "status", "status_note", "instruction",
)
BLOCKER_COLUMNS = ("kind", "method", "path", "api", "explanation", "what_to_do", "clients", "files")


def _report_rows(table: str) -> Callable[[dict[str, Any]], Iterable[Row]]:
    """Rows of a report table for one scan: one client per repository, nothing granted yet."""

    def rows(ctx: dict[str, Any]) -> Iterable[Row]:
        from migrator.report import ScanInput, build_report, table_rows

        return table_rows(build_report([ScanInput(ctx, "scan")]), table)

    return rows


#: Table name -> (columns, rows from the context dict).
TABLES: dict[str, Table] = {
    "findings": (FINDING_COLUMNS, _finding_rows),
    "plan": (PLAN_COLUMNS, _report_rows("plan")),
    "permissions": (PERMISSION_COLUMNS, _report_rows("permissions")),
    "blockers": (BLOCKER_COLUMNS, _report_rows("blockers")),
}


def render(result: ScanResult, table: str = "findings") -> str:
    if table not in TABLES:
        raise ValueError(f"unknown CSV table {table!r}; tables: {', '.join(TABLES)}")
    columns, rows = TABLES[table]
    return render_table(columns, rows(result_dict(result)))


def render_table(columns: tuple[str, ...], rows: Iterable[Row]) -> str:
    """Header and rows as CSV, every cell defused and the whole text scrubbed."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(row.get(k)) for k in columns})
    return scrub(out.getvalue())


def cell(value: Any) -> str:
    """One CSV cell: booleans as true/false, None empty, formula-looking text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
