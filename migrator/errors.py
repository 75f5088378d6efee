"""Expected failures. Each maps to exit code 2 in the CLI."""

from __future__ import annotations


class MigratorError(Exception):
    """A usage or scan error the user can fix; the message is one line and holds no secret."""


class RuleFileError(MigratorError):
    """A rules/ file is invalid; the message carries a breadcrumb to the bad value."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file}: at {where}: {problem}")


class ScanTimeout(MigratorError):
    """A file took longer to analyse than the per-file budget; it is skipped with reason "timeout"."""

    reason = "timeout"
