"""The redaction choke point: classification of literals, masking, fingerprints, scrub()."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator import redact
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY

DOC_USER_KEY = ("MDg5MGVkNDktNjMwZC00ODdiLTkyNGItMjNmMzMxNjRmM2IwOkhNUVRMUis4SGh6NHhBY21Vck9GaWdkem5rYzBrb3p0N056WUM0"
                "bGlqczMM")


@pytest.mark.parametrize("value, expected", [
    (FAKE_APP_KEY, "real-shape"),
    (FAKE_USER_KEY, "real-shape"),
    (DOC_USER_KEY, "doc-example"),
    ("eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJvcGVuaWQiXX0.c2lnbmF0dXJl", "jwt"),
    ("${CELONIS_API_TOKEN}", "reference"),
    ("${{ secrets.CELONIS_KEY }}", "reference"),
    ("$env:CELONIS_APP_KEY", "reference"),
    ("{{celonisAppKey}}", "reference"),
    ("<your-app-key>", "placeholder"),
    ("YOUR_API_TOKEN", "placeholder"),
    ("xxx", "placeholder"),
    ("changeme", "placeholder"),
    ("…", "placeholder"),
    ("", "placeholder"),
    ("[secure]", "placeholder"),
    ("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA", "unexpected-shape"),
    (FAKE_APP_KEY[:-4], "unexpected-shape"),
])
def test_classify_literal(value, expected):
    assert redact.classify_literal(value) == expected


def test_real_shape_needs_uuid_colon_secret_inside():
    import base64

    not_a_key = base64.b64encode(b"x" * 81).decode()
    assert len(not_a_key) == 108 and not redact.is_real_shape(not_a_key)


def test_mask_shows_prefix_and_length_only():
    assert redact.mask(FAKE_APP_KEY) == "MDAw…[108 chars]"
    assert redact.mask("abc") == "…[3 chars]"


def test_scrub_masks_keys_jwts_and_long_scheme_values_and_is_idempotent():
    text = (f"AppKey {FAKE_APP_KEY} and {FAKE_USER_KEY} token eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJvcGVuaWQiXX0.c2ln "
            "Bearer abcdefghijklmnopqrstuvwxyz0123")
    once = redact.scrub(text)
    assert FAKE_APP_KEY not in once and FAKE_USER_KEY not in once and "eyJzY29w" not in once
    assert "abcdefghijklmnopqrstuvwxyz0123" not in once
    assert redact.scrub(once) == once


def test_fingerprint_ignores_whitespace_and_depends_on_rule_path_content():
    a = redact.fingerprint("r", "a.py", 'x = {"Authorization": "AppKey " + k}')
    assert a == redact.fingerprint("r", "a.py", 'x = {"Authorization":  "AppKey " +\n k}')
    assert a != redact.fingerprint("r2", "a.py", 'x = {"Authorization": "AppKey " + k}')
    assert a != redact.fingerprint("r", "b.py", 'x = {"Authorization": "AppKey " + k}')


@pytest.mark.parametrize("template", [
    "https://acme.eu-1.celonis.cloud/integration/api/pools/{k}/jobs",
    "d/{k}.py",
    "x+{k}+y",
    "a={k}=",
    "prefixABC{k}",
], ids=["url-path", "file-name", "plus", "equals", "glued"])
def test_scrub_masks_a_key_inside_longer_base64_runs(template):
    out = redact.scrub(template.format(k=FAKE_USER_KEY))
    assert FAKE_USER_KEY not in out and FAKE_USER_KEY[10:60] not in out


def _scrub_every_pattern(text: str) -> str:
    """scrub() without its shortcuts: every pattern on the whole text (the reference)."""
    text = redact._mask_embedded_keys(text)
    for pattern in redact._SCRUB_PATTERNS:
        text = pattern.sub(lambda m: redact.mask(m.group(0)), text)
    return text


_PIECES = st.sampled_from([
    FAKE_APP_KEY, FAKE_APP_KEY[:60], "A" * 108, "A" * 107, "/", "+", "=", " ", "\n", "'", "AppKey ", "appkey ",
    "Bearer ", "BEARER ", "Basic ", "bearer  ", "eyJhbGciOiJIUzI1NiJ9", ".", "eyJzdWIiOiIxIn0", "abc_DEF-123",
    "x" * 25, "\u0130", "\u212a", "é", "path/to/some/file.py", "BASİC ",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_scrub_shortcuts_give_the_same_text_as_every_pattern(text):
    assert redact.scrub(text) == _scrub_every_pattern(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES | st.sampled_from(["A" * 50, "B" * 58, "\ud800", "é" * 3]), max_size=12).map("".join))
def test_long_run_check_equals_the_regex(text):
    import re

    assert redact._has_long_run(text) == (re.search(r"[A-Za-z0-9+/]{108}", text) is not None)
