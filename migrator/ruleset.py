"""Load and validate the detection rules in rules/detect/*.yaml.

A rule file is data: its id, user documentation (what / why / use_instead /
references, as ruff's rule docs have), default severity, and examples that must
and must not match (Fixit's VALID / INVALID). Invalid files fail loudly with a
breadcrumb to the bad value, as pre-commit's config errors do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from migrator.errors import RuleFileError
from migrator.resources import rules_dir
from migrator.types import SEVERITIES

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("version", "id", "name", "severity", "languages", "what", "why", "use_instead", "examples")
_OPTIONAL = ("references", "keywords", "patterns", "notes")


@dataclass(frozen=True)
class Example:
    lang: str
    code: str


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    languages: tuple[str, ...]
    what: str
    why: str
    use_instead: str
    references: tuple[str, ...]
    match: tuple[Example, ...]
    no_match: tuple[Example, ...]
    keywords: tuple[str, ...] = ()
    #: Raw pattern entries for the text detectors (validated there).
    patterns: tuple[Any, ...] = ()
    source_file: str = ""


@dataclass(frozen=True)
class Ruleset:
    rules: tuple[Rule, ...]

    def get(self, rule_id: str) -> Optional[Rule]:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)


def load_rule(path: Path) -> Rule:
    import yaml

    from migrator.apitable import safe_load

    name = path.name
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleFileError(name, "top", f"not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise RuleFileError(name, "top", "expected a mapping")
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise RuleFileError(name, unknown[0], f"unknown key; valid keys: {', '.join(_REQUIRED + _OPTIONAL)}")
    for key in _REQUIRED:
        if key not in data:
            raise RuleFileError(name, key, "missing")
    if data["version"] != 1:
        raise RuleFileError(name, "version", f"unsupported version {data['version']!r}, expected 1")
    rid = data["id"]
    if not isinstance(rid, str) or not _ID.match(rid):
        raise RuleFileError(name, "id", f"{rid!r} is not a kebab-case id")
    if path.stem != rid:
        raise RuleFileError(name, "id", f"id {rid!r} does not match the file name {path.stem!r}")
    if data["severity"] not in SEVERITIES:
        raise RuleFileError(name, "severity", f"{data['severity']!r} is not one of {', '.join(SEVERITIES)}")
    for key in ("name", "what", "why", "use_instead"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise RuleFileError(name, key, "must be a non-empty string")
    langs = data["languages"]
    if not isinstance(langs, list) or not all(isinstance(x, str) for x in langs) or not langs:
        raise RuleFileError(name, "languages", "must be a non-empty list of strings")
    match, no_match = _examples(name, data["examples"])
    refs = data.get("references") or []
    keywords = data.get("keywords") or []
    patterns = data.get("patterns") or []
    if not isinstance(patterns, list):
        raise RuleFileError(name, "patterns", "must be a list")
    return Rule(
        id=rid,
        name=data["name"].strip(),
        severity=data["severity"],
        languages=tuple(langs),
        what=" ".join(data["what"].split()),
        why=" ".join(data["why"].split()),
        use_instead=" ".join(data["use_instead"].split()),
        references=tuple(str(r) for r in refs),
        match=match,
        no_match=no_match,
        keywords=tuple(str(k) for k in keywords),
        patterns=tuple(patterns),
        source_file=name,
    )


def _examples(name: str, data: Any) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
    if not isinstance(data, dict) or set(data) - {"match", "no_match"}:
        raise RuleFileError(name, "examples", "must be a mapping with 'match' and 'no_match'")
    out = []
    for kind in ("match", "no_match"):
        items = data.get(kind)
        if not isinstance(items, list) or not items:
            raise RuleFileError(name, f"examples.{kind}", "needs at least one example")
        examples = []
        for i, item in enumerate(items):
            where = f"examples.{kind}[{i}]"
            if not isinstance(item, dict) or set(item) != {"lang", "code"}:
                raise RuleFileError(name, where, "must have exactly 'lang' and 'code'")
            if not isinstance(item["code"], str) or not item["code"].strip():
                raise RuleFileError(name, f"{where}.code", "must be a non-empty string")
            examples.append(Example(str(item["lang"]), item["code"]))
        out.append(tuple(examples))
    return out[0], out[1]


def load_ruleset(directory: Optional[Path] = None) -> Ruleset:
    """All rules of a directory of rule files, sorted by id; ids must be unique."""
    if directory is None:
        return default_ruleset()
    rules = [load_rule(p) for p in sorted(directory.glob("*.yaml"))]
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RuleFileError(r.source_file, "id", f"duplicate rule id {r.id!r}")
        seen.add(r.id)
    return Ruleset(tuple(sorted(rules, key=lambda r: r.id)))


@lru_cache(maxsize=1)
def default_ruleset() -> Ruleset:
    return load_ruleset(rules_dir() / "detect")
