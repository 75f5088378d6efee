"""The fast keyword prefilter gives exactly the answer of each detector's own prefilter."""

from __future__ import annotations

import importlib
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.detect import DETECTORS, KEYWORD_PATTERNS, _keyword_pattern, prefilter, prefilters
from migrator.ruleset import default_ruleset
from tests.conftest import FAKE_APP_KEY, REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import planted  # noqa: E402

CORPUS = [
    "", "print('hello')\n", "x = 1\n" * 50, "Authorization", "AUTHORIZATION: x", "appKey", "APP-KEY=1", "app.key",
    "Bearer", "bEaReR", "celonis", "CELONIS_URL=x", "api_token", "api.token", "connect.ems.endpoint", "content-cli",
    "get_celonis(", "oauth2-bearer", "setBearerAuth(k)", "new AuthenticationHeaderValue(", "naïve Bearer",
    "\u212aey", "appkeY\u0130", "ſetbearerauth", "KELVIN \u212a appke\u212a", FAKE_APP_KEY, FAKE_APP_KEY.lower(),
    FAKE_APP_KEY.upper(), "x" * 300, "nothing to see here but words like bear and author",
    *(text for _name, text, _exp in planted.TEMPLATES), *(text for _name, text in planted.DECOYS),
    *(ex.code for rule in default_ruleset().rules for ex in (*rule.match, *rule.no_match)),
]


@pytest.mark.parametrize("kind", sorted(KEYWORD_PATTERNS))
def test_each_keyword_table_entry_is_what_the_detector_searches(kind):
    assert _keyword_pattern(kind) is not None, f"{KEYWORD_PATTERNS[kind]} is gone: update KEYWORD_PATTERNS"
    detector = importlib.import_module(f"migrator.detect.{DETECTORS[kind]}")
    for text in CORPUS:
        assert prefilter(kind, text) == detector.prefilter(text), (kind, text[:80])


def test_python_prefilter_matches_its_regex():
    for text in CORPUS:
        assert prefilters.python(text) == (prefilters.PYTHON.search(text) is not None), text[:80]


def test_words_are_expanded_from_small_classes_and_optional_parts():
    assert prefilters._words("app[-_.]?key", re.I) == {"appkey", "app-key", "app_key", "app.key"}
    assert prefilters._words(r"connect\.ems", re.I) == {"connect.ems"}
    assert prefilters._words(r"[A-Za-z0-9+/]{11}t", re.I) is None
    assert prefilters._words(r"\bbearer", re.I) is None


def test_a_pattern_it_cannot_take_apart_falls_back_to_the_regex():
    pattern = re.compile(r"(a)\1|x{3}")
    check = prefilters.keyword_check(pattern)
    for text in ("aa", "xxx", "ab", "xx", ""):
        assert check(text) == (pattern.search(text) is not None)


_ALPHABET = st.sampled_from(["appkey", "APPKEY", "app-key", "bearer", "Bear", "er", "authorization", "celonis",
                             "api_token", "api.token", "t", "L", "O", "A" * 11, " ", "\n", "é", "\u212a", "ı", "İ",
                             "ſ", "x", "content-cli", "connect.ems", "get_celonis", "oauth2-bearer"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_fast_check_equals_the_regex_on_generated_text(text):
    for where in set(KEYWORD_PATTERNS.values()) | {"prefilters.PYTHON"}:
        name, _, attribute = where.partition(".")
        pattern = getattr(importlib.import_module(f"migrator.detect.{name}"), attribute)
        assert prefilters.keyword_check(pattern)(text) == (pattern.search(text) is not None), (where, text)


# --- the fast lane: raw bytes decided before decoding -----------------------------------------------

from migrator.detect import certainly_clean, detect_file  # noqa: E402
from migrator.discover import KINDS, Candidate, decode  # noqa: E402
from migrator.types import Skip  # noqa: E402


def _full_way(kind: str, data: bytes) -> bool:
    """What the full path says: True when decoding and detecting give no Skip and no finding."""
    source = decode(Candidate("f", "/nonexistent/f", kind), data)
    if isinstance(source, Skip):
        return False
    result, _parsed = detect_file(source)
    return result == []


@pytest.mark.parametrize("kind", KINDS)
def test_certainly_clean_never_hides_what_the_full_way_reports(kind):
    for text in CORPUS:
        for data in (text.encode("utf-8"), text.encode("utf-16")):
            if certainly_clean(kind, data):
                assert _full_way(kind, data), (kind, text[:80])


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET | st.just(FAKE_APP_KEY) | st.just("\0"), max_size=30).map("".join),
       st.sampled_from(KINDS))
def test_certainly_clean_on_generated_text(text, kind):
    data = text.encode("utf-8")
    if certainly_clean(kind, data):
        assert _full_way(kind, data)
        assert data.isascii() and b"\0" not in data


def test_certainly_clean_decides_ordinary_ascii_files_and_leaves_the_rest():
    assert certainly_clean("python", b"import os\nprint(os.getcwd())\n")
    assert certainly_clean("text", b"just some notes\n")
    assert not certainly_clean("python", b"headers = {'Authorization': t}\n")  # a keyword: parse it
    assert not certainly_clean("text", f"k = {FAKE_APP_KEY}\n".encode())  # a key literal in any kind
    assert not certainly_clean("python", "# caf\u00e9\n".encode())  # not ASCII: the full way
    assert not certainly_clean("python", b"x = 1\0")  # NUL: the full way says why it is skipped


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET.filter(str.isascii) | st.sampled_from(["-", "_", ".", "ap", "p-k", "ey"]), max_size=30)
       .map("".join))
def test_ascii_may_match_never_misses_what_the_regex_finds(text):
    data = text.encode("ascii")
    for where in set(KEYWORD_PATTERNS.values()) | {"prefilters.PYTHON"}:
        name, _, attribute = where.partition(".")
        pattern = getattr(importlib.import_module(f"migrator.detect.{name}"), attribute)
        check = prefilters.ascii_may_match(pattern)
        assert check is not None, where  # every detector's keywords are a plain word list today
        if pattern.search(text) is not None:
            assert check(data, data.lower()), (where, text)
