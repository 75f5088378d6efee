"""A tiny DOM over the stdlib html.parser, for structure tests on the rendered report."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Iterator, Optional

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, Optional[str]] = field(default_factory=dict)
    children: list["Node | str"] = field(default_factory=list)
    parent: Optional["Node"] = None

    @property
    def text(self) -> str:
        """Text content with whitespace collapsed."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        for c in self.children:
            if isinstance(c, str):
                yield c
            else:
                yield from c._texts()

    def iter(self) -> Iterator["Node"]:
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag: Optional[str] = None, **attrs: str) -> list["Node"]:
        out = []
        for n in self.iter():
            if tag is not None and n.tag != tag:
                continue
            if all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items()):
                out.append(n)
        return out

    def find(self, tag: Optional[str] = None, **attrs: str) -> Optional["Node"]:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, ident: str) -> "Node":
        node = next((n for n in self.iter() if n.attrs.get("id") == ident), None)
        assert node is not None, f"no element with id {ident!r}"
        return node

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()

    def rows(self) -> list["Node"]:
        """Body rows of a table."""
        body = self.find("tbody")
        return list((body or self).find_all("tr"))

    def headers(self) -> list[str]:
        head = self.find("thead")
        assert head is not None
        return [th.text for th in head.find_all("th")]

    def cells(self) -> list[str]:
        return [c.text for c in self.children if isinstance(c, Node) and c.tag in ("td", "th")]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        node = Node(tag, dict(attrs), parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Optional[Node] = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
