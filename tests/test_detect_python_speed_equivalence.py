"""The detector's own tree walk must see what LibCST's visitors see: same nodes, order and parents.

The index walks node fields directly (LibCST's visitors rebuild every node they pass, which made them
the detector's main cost); these tests pin that walk to LibCST's visitor order, ParentNodeProvider
and string evaluation, so that findings stay what they were.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from migrator.detect import pyindex
from migrator.detect.pyindex import build_index, dotted, literal_str

#: What the walk may leave out: whitespace, comments, brackets and punctuation.
TRIVIA = (
    cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline, cst.Comment,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
    cst.RightCurlyBrace, cst.Comma, cst.Colon, cst.Semicolon, cst.Dot, cst.AssignEqual, cst.BitOr,
    cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp, cst.ParamSlash,
    cst.Asynchronous, cst.ImportStar,
)

SAMPLE = '''
"""Module docstring."""
from __future__ import annotations
import os, sys as system
from ..pkg import (a as b, c)
from x import *

TOKEN: str = os.getenv("CELONIS_API_TOKEN", "dflt")
headers = {"Authorization": f"AppKey {TOKEN!r:>{10}}", **extra}
pairs = [("Authorization", "Bearer " + k) for k in keys if k if not k]
x = y = lambda a, /, b=1, *c, d: (a, b, c, d)
if (n := len(pairs)) > 1 and not x or y:
    del os.environ["CELONIS_API_TOKEN"]
elif n in {1, 2}:
    pass
else:
    z = -n ** 2 @ m; w = x[1:2, ::3]


@decorator(arg=1)
class Client(Base, metaclass=Meta):
    token = "t"

    def __init__(self, key, *, url="https://acme.eu-1.celonis.cloud") -> None:
        self.s = requests.Session()
        self.s.headers["Authorization"] = "AppKey %s" % key

    async def fetch(self, *args, **kwargs):
        global counter
        async with self.s as s, other() as (o, p):
            async for item in s.get(url := self.url, headers={"k": v}):
                yield await item.json()
        try:
            raise ValueError("x") from None
        except (ValueError, KeyError) as exc:
            assert exc, "msg"
        finally:
            counter += 1

    def token_url(self):
        def inner():
            nonlocal_value = "/oauth2/token"
            return post(nonlocal_value, data={"grant_type": "client_credentials"})
        return inner()


match command:
    case {"k": [1, *rest]} | Point(x=0) as p if p:
        print(p)
    case _:
        print(b"bytes" b"more", r"raw\\d", "escaped\\n", """tri
ple""", f"{x=}")
'''


def _sources() -> list[str]:
    here = Path(pyindex.__file__).parent
    return [SAMPLE, (here / "pyindex.py").read_text(), (here / "python.py").read_text()]


class _Order(cst.CSTVisitor):
    """Every node LibCST visits, in order, telling apart those under a trivia field."""

    def __init__(self) -> None:
        self.kept: list[cst.CSTNode] = []
        self.skipped: list[cst.CSTNode] = []
        self.trivia_depth = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        (self.skipped if self.trivia_depth else self.kept).append(node)
        return True

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute in pyindex._TRIVIA_FIELDS or attribute.startswith("whitespace"):
            self.trivia_depth += 1

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if attribute in pyindex._TRIVIA_FIELDS or attribute.startswith("whitespace"):
            self.trivia_depth -= 1


@pytest.mark.parametrize("source", _sources(), ids=["sample", "pyindex", "python"])
def test_walk_keeps_libcst_order_and_skips_only_trivia(source: str) -> None:
    module = cst.parse_module(source)
    order = _Order()
    module.visit(order)
    index = build_index(module)
    assert [id(n) for n in index.nodes] == [id(n) for n in order.kept]
    assert order.skipped and all(isinstance(n, TRIVIA) for n in order.skipped)


@pytest.mark.parametrize("source", _sources(), ids=["sample", "pyindex", "python"])
def test_parent_map_agrees_with_parent_node_provider(source: str) -> None:
    module = cst.parse_module(source)
    parents = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    index = build_index(module)
    assert index.parent(module) is None
    for node in index.nodes[1:]:
        assert index.parent(node) is parents[node]


def test_function_facts_match_a_visit_of_the_function() -> None:
    """`callees` and `names_oauth` are what a visit of each function's own subtree finds."""
    index = build_index(cst.parse_module(SAMPLE))

    class Facts(cst.CSTVisitor):
        def __init__(self) -> None:
            self.callees: list[str] = []
            self.oauth = False

        def visit_Call(self, node: cst.Call) -> None:
            self.callees.append(dotted(node.func))

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            value = literal_str(node) or ""
            self.oauth = self.oauth or "/oauth2/token" in value or value == "client_credentials"

    for fn in index.functions.values():
        facts = Facts()
        fn.node.visit(facts)
        assert (fn.callees, fn.names_oauth) == (facts.callees, facts.oauth), fn.qualname
    assert index.functions["Client.token_url"].names_oauth
    assert not index.functions["Client.fetch"].names_oauth


@pytest.mark.parametrize("literal", [
    '""', "''", '"a b"', "'x\"y'", '"""tri\nple"""', "'''a'b'''", '"tab\there"',
    '"esc\\n"', "r'raw\\d'", "b'bytes'", "u'text'", '"caf\u00e9"', '"""cr\rlf"""', "'''\r\n'''",
])
def test_literal_str_matches_literal_eval(literal: str) -> None:
    node = cst.SimpleString(literal)
    value = node.evaluated_value
    assert literal_str(node) == (value.decode("latin-1") if isinstance(value, bytes) else value)



def test_fields_left_unvisited_when_empty_are_learnt_when_filled() -> None:
    """LibCST visits an f-string's format spec only when there is one; learning from `{a}` first must not
    hide the spec of `{b:>{w}}` (its nested expression is a call here)."""
    pyindex._CHILD_FIELDS.pop(cst.FormattedStringExpression, None)
    module = cst.parse_module('f"{a}"\nf"{b:>{width()}}"\n')
    order = _Order()
    module.visit(order)
    index = build_index(module)
    assert [id(n) for n in index.nodes] == [id(n) for n in order.kept]
    assert [dotted(call.func) for call, _owner in index.calls] == ["width"]
