"""One positioned tree for every configuration format, and the entries read from it.

YAML, JSON, dotenv, INI, TOML and `.properties` parsers all build this tree, so that
the rules in `configrules` are written once. Every node keeps its 1-based line and
column, because a finding without a line is of no use to the person who must fix it.
YAML aliases make the tree a DAG: walks visit each node object once, which is what
keeps an alias bomb linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Optional, Union

#: Keys whose children are environment variables (compose, Kubernetes, CI files).
ENV_KEYS = frozenset({"env", "environment", "variables"})


@dataclass(eq=False)
class Scalar:
    """A leaf value or a mapping key. `value` is None for YAML/JSON null."""

    value: Optional[str]
    line: int
    col: int
    end_line: int
    end_col: int
    #: YAML style ("|", ">", '"', "'", "") or '"' for a JSON string; "" when unquoted.
    style: str = ""


@dataclass(eq=False)
class Mapping:
    items: list[tuple[Scalar, "Node"]]
    line: int
    col: int


@dataclass(eq=False)
class Sequence:
    items: list["Node"]
    line: int
    col: int


Node = Union[Scalar, Mapping, Sequence]


@dataclass(frozen=True, eq=False)
class Entry:
    """A named value: a mapping item, or one item of a name/value list (`- name: X` / `value: Y`)."""

    #: Mapping keys from the root to this entry; list positions are left out.
    path: tuple[str, ...]
    key: Scalar
    value: Node
    #: The mapping or name/value list holding the entry: its siblings decide context.
    group: Node
    #: Nodes from the root down to `group`, inclusive.
    ancestors: tuple[Node, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def env_like(self) -> bool:
        """True when the entry is an environment variable (under `env:`, `environment:`, `variables:`)."""
        return len(self.path) >= 2 and self.path[-2].lower() in ENV_KEYS


def get(node: Optional[Node], key: str) -> Optional[Node]:
    """The value of `key` in a mapping (first occurrence), else None (also for a missing node)."""
    if isinstance(node, Mapping):
        for k, v in node.items:
            if k.value == key:
                return v
    return None


def text(node: Optional[Node]) -> Optional[str]:
    """The string of a scalar node, else None."""
    return node.value if isinstance(node, Scalar) else None


def entries_of(group: Node, path: tuple[str, ...], ancestors: tuple[Node, ...]) -> list[Entry]:
    """The entries a mapping or a name/value list holds directly."""
    chain = (*ancestors, group)
    if isinstance(group, Mapping):
        return [Entry((*path, str(k.value)), k, v, group, chain) for k, v in group.items if k.value is not None]
    if isinstance(group, Sequence):
        return [e for item in group.items for e in _list_entry(item, group, path, chain)]
    return []


def _list_entry(item: Node, group: Sequence, path: tuple[str, ...], chain: tuple[Node, ...]) -> list[Entry]:
    """`{name|key: N, value|valueFrom: V}` items (Kubernetes env, Postman, HAR) and compose `K=V` strings."""
    if isinstance(item, Mapping):
        name = get(item, "name") or get(item, "key")
        value = get(item, "value") or get(item, "valueFrom")
        if isinstance(name, Scalar) and name.value and value is not None:
            return [Entry((*path, name.value), name, value, group, chain)]
    elif isinstance(item, Scalar) and path and path[-1].lower() in ENV_KEYS:
        found = re.match(r"\s*([A-Za-z_][A-Za-z0-9_.-]*)=", item.value or "")
        if found and item.end_line == item.line:
            offset = item.col + (1 if item.style in ("'", '"') else 0)
            key = Scalar(found.group(1), item.line, offset + found.start(1), item.line, offset + found.end(1))
            rest = Scalar((item.value or "")[found.end():], item.line, offset + found.end(), item.end_line,
                          item.end_col)
            return [Entry((*path, found.group(1)), key, rest, group, chain)]
    return []


def iter_entries(root: Node) -> Iterator[Entry]:
    """Every entry under `root`, each node visited once: a mapping's entries, then what they hold."""
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[str, ...], tuple[Node, ...]]] = [(root, (), ())]
    while stack:
        node, path, ancestors = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[Node, tuple[str, ...], tuple[Node, ...]]] = []
        chain = (*ancestors, node)
        if isinstance(node, Mapping):
            for entry in entries_of(node, path, ancestors):
                yield entry
                children.append((entry.value, entry.path, chain))
        elif isinstance(node, Sequence):
            yield from entries_of(node, path, ancestors)
            children.extend((item, path, chain) for item in node.items)
        stack.extend(reversed(children))


def iter_scalars(root: Node) -> Iterator[Scalar]:
    """Every scalar value and key under `root`, each node once."""
    seen: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Scalar):
            yield node
        elif isinstance(node, Mapping):
            for k, v in reversed(node.items):
                stack.append(v)
                stack.append(k)
        else:
            stack.extend(reversed(node.items))


def from_plain(value: object, where: Locator, path: tuple[str, ...] = ()) -> Node:
    """A tree from plain Python data (tomllib, configparser), positioned by `where(path)`.

    List items are located as `#<index>` path parts, which `[[table]]` scanners record.
    """
    line, col, end = where(path)
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = (*path, str(k))
            kline, kcol, _ = where(key)
            items.append((Scalar(str(k), kline, kcol, kline, kcol + len(str(k))), from_plain(v, where, key)))
        return Mapping(items, line, col)
    if isinstance(value, list):
        return Sequence([from_plain(v, where, (*path, f"#{i}")) for i, v in enumerate(value)], line, col)
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    return Scalar(shown, line, col, line, end)


class Locator:
    """Maps a key path to (line, column, end column) of the line that defines it.

    The longest recorded prefix wins, so that values inside inline tables and multi-line
    arrays get the line of the key that holds them; (1, 1, 1) when nothing is known.
    """

    def __init__(self, positions: dict[tuple[str, ...], tuple[int, int, int]]) -> None:
        self.positions = positions

    def __call__(self, path: tuple[str, ...]) -> tuple[int, int, int]:
        for n in range(len(path), 0, -1):
            if path[:n] in self.positions:
                return self.positions[path[:n]]
        return (1, 1, 1)
