"""Every example of every detection rule runs as a test (Fixit's VALID / INVALID), and rule files are validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.errors import RuleFileError
from migrator.rulecheck import check_example, iter_examples
from migrator.ruleset import default_ruleset, load_rule, load_ruleset

EXAMPLES = list(iter_examples())


@pytest.mark.parametrize("rule, example, should_match", [e[:3] for e in EXAMPLES], ids=[e[3] for e in EXAMPLES])
def test_rule_example(rule, example, should_match):
    assert check_example(rule, example, should_match) is None


def test_every_rule_has_both_kinds_of_example():
    for rule in default_ruleset().rules:
        assert rule.match and rule.no_match, rule.id


def test_every_rule_a_detector_emits_has_a_rule_file():
    """Rule ids used in the code must exist as data (the docs, SARIF and baselines depend on them)."""
    import re

    ids = set(default_ruleset().ids)
    used: set[str] = set()
    for path in (Path(__file__).parent.parent / "migrator").rglob("*.py"):
        used |= set(re.findall(r'rule_id=["\']([a-z0-9-]+)["\']', path.read_text()))
        used |= set(re.findall(r'_finding\(\s*["\']([a-z0-9-]+)["\']', path.read_text()))
    assert used and used <= ids, used - ids


GOOD = """\
version: 1
id: sample-rule
name: Sample
severity: low
languages: [python]
what: x
why: y
use_instead: z
examples:
  match: [{lang: python, code: "a = 1"}]
  no_match: [{lang: python, code: "b = 2"}]
"""


@pytest.mark.parametrize("change, where", [
    (lambda t: t.replace("severity: low", "severity: urgent"), "severity"),
    (lambda t: t.replace("version: 1", "version: 2"), "version"),
    (lambda t: t + "colour: red\n", "colour"),
    (lambda t: t.replace("  no_match: [{lang: python, code: \"b = 2\"}]\n", ""), "examples.no_match"),
    (lambda t: t.replace('{lang: python, code: "a = 1"}', '{lang: python}'), "examples.match[0]"),
    (lambda t: t.replace("id: sample-rule", "id: Sample_Rule"), "id"),
    (lambda t: t.replace("what: x\n", ""), "what"),
])
def test_invalid_rule_files_fail_with_a_breadcrumb(tmp_path, change, where):
    path = tmp_path / "sample-rule.yaml"
    path.write_text(change(GOOD))
    with pytest.raises(RuleFileError) as exc:
        load_rule(path)
    assert exc.value.where == where
    assert f"at {where}" in str(exc.value)


def test_valid_rule_file_loads_and_name_must_match_id(tmp_path):
    (tmp_path / "sample-rule.yaml").write_text(GOOD)
    assert load_ruleset(tmp_path).ids == ("sample-rule",)
    (tmp_path / "other-name.yaml").write_text(GOOD)
    with pytest.raises(RuleFileError, match="does not match the file name"):
        load_ruleset(tmp_path)


def test_rules_test_command_passes(tmp_path):
    from tests.conftest import run_cli

    proc = run_cli("rules", "test", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all examples pass" in proc.stdout
