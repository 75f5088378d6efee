"""Small pure helpers about header sinks and argument lists, shared by the codemods."""

from __future__ import annotations

import re

import libcst as cst

from migrator.detect.pyindex import literal_str

SCHEME = re.compile(r"^\s*(AppKey|Bearer)(?:\s+|$)", re.IGNORECASE)
_APPKEY = re.compile(r"appkey", re.IGNORECASE)


def sink_value(node: cst.CSTNode) -> cst.BaseExpression | None:
    """The header value expression of a sink node (dict element, item assignment, add_header, ...)."""
    if isinstance(node, (cst.DictElement, cst.Assign, cst.Arg)):
        return node.value
    if isinstance(node, cst.Call) and len(node.args) > 1:
        return node.args[1].value
    if isinstance(node, cst.Tuple) and len(node.elements) == 2:
        return node.elements[1].value
    return None


def appkey_to_bearer(node: cst.SimpleString) -> cst.SimpleString:
    """The same literal with its `AppKey` scheme spelled `Bearer` (quotes and prefix kept)."""
    return node.with_changes(value=_APPKEY.sub("Bearer", node.value, count=1))


def starts_with_scheme(node: cst.CSTNode) -> bool:
    text = literal_str(node) if isinstance(node, cst.SimpleString) else (
        node.value if isinstance(node, cst.FormattedStringText) else None)
    return text is not None and SCHEME.match(text) is not None and text.lower().lstrip().startswith("appkey")


def without_element(d: cst.Dict, element: cst.BaseDictElement) -> cst.Dict:
    """`d` without `element`, keeping the commas of the others tidy."""
    kept = [e for e in d.elements if e is not element]
    if kept and element is d.elements[-1]:
        last = kept[-1]
        kept[-1] = last.with_changes(comma=d.elements[-1].comma)
    return d.with_changes(elements=kept)


def with_kwarg(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """`call` with keyword `name=value` set: replaced when present, else appended in the call's style."""
    args = list(call.args)
    for i, a in enumerate(args):
        if a.keyword is not None and a.keyword.value == name:
            args[i] = a.with_changes(value=value)
            return call.with_changes(args=args)
    new = cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: one argument per line
        middle = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else last.comma
        args[-1] = last.with_changes(comma=middle)
        new = new.with_changes(comma=last.comma)
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, new])


def without_kwarg(call: cst.Call, name: str) -> cst.Call:
    args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == name)]
    if args and len(args) < len(call.args) and call.args[-1].keyword is not None \
            and call.args[-1].keyword.value == name:
        args[-1] = args[-1].with_changes(comma=call.args[-1].comma)
    return call.with_changes(args=args)
