"""Run the must-match / must-not-match examples that every rule carries (Fixit's VALID / INVALID).

Used by the test suite (one test per example) and by `celonis-migrator rules test`
so that a rule editor gets the same check without pytest.
"""

from __future__ import annotations

from typing import Iterator

from migrator.ruleset import Example, Rule, Ruleset, default_ruleset
from migrator.types import Finding, SourceFile

#: Example language -> (file kind, file name used for the example).
EXAMPLE_FILES = {
    "python": ("python", "example.py"),
    "text": ("text", "example.txt"),
    "yaml": ("yaml", "example.yaml"),
    "json": ("json", "example.json"),
    "dotenv": ("dotenv", ".env"),
    "ini": ("ini", "example.ini"),
    "toml": ("toml", "example.toml"),
    "properties": ("properties", "example.properties"),
    "notebook": ("notebook", "example.ipynb"),
    "shell": ("shell", "example.sh"),
    "dockerfile": ("dockerfile", "Dockerfile"),
    "http": ("http", "example.http"),
    "powershell": ("powershell", "example.ps1"),
    "markdown": ("markdown", "README.md"),
    "javascript": ("javascript", "example.ts"),
    "java": ("java", "Example.java"),
    "csharp": ("csharp", "Example.cs"),
    "go": ("go", "example.go"),
    "kotlin": ("kotlin", "Example.kt"),
    "scala": ("scala", "Example.scala"),
}


def findings_for(example: Example) -> list[Finding]:
    """Findings of the detectors on one example, as if it were a file in a repository."""
    from migrator.detect import detect_file

    kind, name = EXAMPLE_FILES.get(example.lang, (example.lang, f"example.{example.lang}"))
    result, _parsed = detect_file(SourceFile(path=name, abspath=name, kind=kind, text=example.code))
    if not isinstance(result, list):
        raise AssertionError(f"example could not be scanned: {result.reason}: {result.detail}")
    return result


def check_example(rule: Rule, example: Example, should_match: bool) -> str | None:
    """None when the example behaves as declared, else a one-line reason."""
    hits = [f for f in findings_for(example) if f.rule_id == rule.id]
    if should_match and not hits:
        return f"{rule.id}: a must-match {example.lang} example produced no finding"
    if not should_match and hits:
        return f"{rule.id}: a must-not-match {example.lang} example produced a finding at line {hits[0].line}"
    return None


def iter_examples(ruleset: Ruleset | None = None) -> Iterator[tuple[Rule, Example, bool, str]]:
    """(rule, example, should_match, test id) for every example of every rule."""
    for rule in (ruleset or default_ruleset()).rules:
        for i, ex in enumerate(rule.match):
            yield rule, ex, True, f"{rule.id}-match-{i}-{ex.lang}"
        for i, ex in enumerate(rule.no_match):
            yield rule, ex, False, f"{rule.id}-no_match-{i}-{ex.lang}"


def check_all(ruleset: Ruleset | None = None) -> list[str]:
    return [msg for rule, ex, should, _ in iter_examples(ruleset)
            if (msg := check_example(rule, ex, should)) is not None]
