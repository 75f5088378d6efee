"""Build a large, realistic source tree with a known set of planted static-key uses.

    python benchmarks/generate_tree.py /tmp/celonis-bench            # 50,000 files, ~300 MB
    python benchmarks/generate_tree.py /tmp/small --files 2000       # the same mix, smaller

Mostly ordinary Python, JavaScript/TypeScript, YAML, JSON, notebooks, Markdown, shell and JVM/.NET/Go
sources, plus binaries (images, shared objects, archives, .pyc), vendored dependencies (`vendor/`,
`third_party/`: scanned) and `node_modules/` (pruned by the scanner by default). Into that go
`planted.TEMPLATES` (every shape and format, `--copies` times each, each with its own fresh fake key)
and `planted.DECOYS` (look-alikes that must give nothing). The output is deterministic for a seed:
the same files, bytes and manifest on every machine.

`<out>/../<name>.manifest.json` lists each planted finding as {"path", "line", "rule_id"} (paths as
`scan` shows them when run from `<out>`), the decoys, and the file counts, so that a scan can be
checked: every planted use found, and nothing else. The manifest sits beside the tree, not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import string
import sys
import zlib
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import planted  # noqa: E402

#: Share of the ordinary files by kind (sums to 1). Binaries and node_modules come on top of these.
MIX = {
    "py": 0.40, "ts": 0.10, "js": 0.08, "yaml": 0.09, "json": 0.09, "ipynb": 0.03, "md": 0.06,
    "sh": 0.02, "toml": 0.01, "ini": 0.01, "txt": 0.03, "java": 0.03, "go": 0.03, "cs": 0.02,
}
#: Of all files: binaries, and files under node_modules/ (pruned by default, so never read by scan).
BINARY_SHARE = 0.05
NODE_MODULES_SHARE = 0.05
#: Of the ordinary files: the share under vendor/ and third_party/ (scanned like any code).
VENDORED_SHARE = 0.15

_WORDS = ("order invoice customer vendor payment amount ledger report pool model table column event case "
          "activity variant cycle time process stage load extract transform schedule retry batch chunk cache "
          "queue worker client server session config setting path file record field value index count total "
          "status result error message parse render format export import merge filter group sort window").split()


def _ident(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(_WORDS) for _ in range(parts))


def _camel(rng: random.Random, parts: int = 2) -> str:
    first, *rest = (rng.choice(_WORDS) for _ in range(parts))
    return first + "".join(w.capitalize() for w in rest)


def _python(rng: random.Random, size: int) -> str:
    out = ['"""' + " ".join(rng.choice(_WORDS) for _ in range(8)).capitalize() + '."""\n\n',
           "from __future__ import annotations\n\n",
           "".join(f"import {m}\n" for m in rng.sample(["os", "re", "json", "logging", "itertools", "typing",
                                                        "dataclasses", "pathlib", "collections", "datetime"], 4)),
           "\nlog = logging.getLogger(__name__)\n\n"]
    n = sum(map(len, out))
    while n < size:
        if rng.random() < 0.3:
            cls = _camel(rng).capitalize()
            block = [f"\n\nclass {cls}:\n    \"\"\"The {rng.choice(_WORDS)} {rng.choice(_WORDS)}.\"\"\"\n\n",
                     f"    def __init__(self, {_ident(rng, 1)}: int = {rng.randint(0, 99)}) -> None:\n",
                     f"        self.{_ident(rng)} = []\n        self.{_ident(rng)} = {{}}\n"]
            for _ in range(rng.randint(1, 4)):
                a, b = _ident(rng, 1), _ident(rng, 1)
                block.append(f"\n    def {_ident(rng)}(self, {a}, {b}=None):\n"
                             f"        if {b} is None:\n            {b} = len({a})\n"
                             f"        return [x for x in {a} if x != {b}]\n")
        else:
            a, b, c = _ident(rng, 1), _ident(rng, 1), _ident(rng)
            block = [f"\n\ndef {_ident(rng, 3)}({a}, {b}: str = \"{rng.choice(_WORDS)}\") -> dict:\n",
                     f"    {c} = {{}}\n",
                     f"    for i, item in enumerate({a}):\n",
                     f"        {c}[str(item)] = i * {rng.randint(1, 9)}\n",
                     f"    log.debug(\"%s %s\", {b}, len({c}))\n",
                     f"    return {c}\n"]
        text = "".join(block)
        out.append(text)
        n += len(text)
    return "".join(out)


def _js(rng: random.Random, size: int, ts: bool) -> str:
    out = [f"import {{ {_camel(rng)} }} from \"./{rng.choice(_WORDS)}\";\n\n"]
    n = len(out[0])
    while n < size:
        a, b = _camel(rng, 1), _camel(rng, 1)
        typ = ": number[]" if ts else ""
        text = (f"export function {_camel(rng, 3)}({a}{typ}, {b}{': string' if ts else ''}) {{\n"
                f"  const {_camel(rng)} = {a}.filter((x) => x > {rng.randint(0, 50)});\n"
                f"  return {a}.map((x, i) => `${{{b}}}-${{x * i}}`);\n}}\n\n")
        out.append(text)
        n += len(text)
    return "".join(out)


def _yaml(rng: random.Random, size: int) -> str:
    out = [f"name: {_ident(rng)}\nversion: {rng.randint(1, 9)}.{rng.randint(0, 20)}\n"]
    n = len(out[0])
    while n < size:
        text = (f"{_ident(rng)}:\n  enabled: {rng.choice(['true', 'false'])}\n  replicas: {rng.randint(1, 8)}\n"
                f"  image: registry.example.com/{rng.choice(_WORDS)}:{rng.randint(1, 40)}\n"
                f"  args: [--{rng.choice(_WORDS)}, --{rng.choice(_WORDS)}={rng.randint(1, 999)}]\n")
        out.append(text)
        n += len(text)
    return "".join(out)


def _json(rng: random.Random, size: int) -> str:
    rows = []
    n = 0
    while n < size:
        row = {_camel(rng): rng.randint(0, 10_000), "name": _ident(rng), "tags": rng.sample(_WORDS, 3),
               "ratio": round(rng.random(), 4)}
        rows.append(row)
        n += 110
    return json.dumps({"items": rows, "generated": True}, indent=2) + "\n"


def _notebook(rng: random.Random, size: int) -> str:
    cells = []
    n = 0
    while n < size:
        code = _python(rng, rng.randint(200, 1200)).split("\n\n", 2)[-1]
        outputs = []
        if rng.random() < 0.3:  # an embedded plot, as notebooks carry them
            png = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(rng.randint(2000, 20000)))
            outputs.append({"data": {"image/png": png, "text/plain": ["<Figure>"]}, "metadata": {},
                            "output_type": "display_data"})
            n += len(png)
        cells.append({"cell_type": "code", "execution_count": len(cells) + 1, "id": f"c{len(cells)}", "metadata": {},
                      "outputs": outputs, "source": code.splitlines(keepends=True)})
        cells.append({"cell_type": "markdown", "id": f"m{len(cells)}", "metadata": {},
                      "source": ["## " + " ".join(rng.sample(_WORDS, 4))]})
        n += len(code) + 200
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def _markdown(rng: random.Random, size: int) -> str:
    out = [f"# {_ident(rng).replace('_', ' ').title()}\n\n"]
    n = len(out[0])
    while n < size:
        para = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(30, 80))).capitalize() + ".\n\n"
        if rng.random() < 0.3:
            para += f"```sh\nmake {rng.choice(_WORDS)} {rng.choice(_WORDS).upper()}={rng.randint(1, 9)}\n```\n\n"
        out.append(para)
        n += len(para)
    return "".join(out)


def _text(rng: random.Random, size: int, kind: str) -> str:
    lines = []
    n = 0
    while n < size:
        a, b = _ident(rng), rng.randint(0, 9999)
        line = {
            "sh": f"{a.upper()}={b}\necho \"{rng.choice(_WORDS)} ${a.upper()}\"\n",
            "toml": f"[{a}]\nsize = {b}\nname = \"{rng.choice(_WORDS)}\"\n",
            "ini": f"[{a}]\nsize = {b}\nname = {rng.choice(_WORDS)}\n",
            "txt": " ".join(rng.choice(_WORDS) for _ in range(14)) + "\n",
            "java": f"    public int {_camel(rng)}(int {_camel(rng, 1)}) {{ return {b} * {_camel(rng, 1)}; }}\n",
            "go": f"func {_camel(rng).capitalize()}(n int) int {{\n\treturn n * {b}\n}}\n\n",
            "cs": f"    public int {_camel(rng).capitalize()}(int n) => n * {b};\n",
        }[kind]
        lines.append(line)
        n += len(line)
    body = "".join(lines)
    if kind == "java":
        return f"public class {_camel(rng).capitalize()} {{\n{body}}}\n"
    if kind == "cs":
        return f"namespace Acme {{\npublic class {_camel(rng).capitalize()} {{\n{body}}}\n}}\n"
    if kind == "go":
        return f"package {rng.choice(_WORDS)}\n\n{body}"
    if kind == "sh":
        return "#!/usr/bin/env bash\nset -euo pipefail\n" + body
    return body


def _binary(rng: random.Random, size: int) -> tuple[str, bytes]:
    """Binary content with a realistic header; compressed data is incompressible, like real images."""
    kind = rng.choice(["png", "so", "zip", "pyc", "jar"])
    head = {"png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "so": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8,
            "zip": b"PK\x03\x04\x14\x00\x00\x00", "pyc": b"\xa7\r\r\n\x00\x00\x00\x00", "jar": b"PK\x03\x04\n\x00"}[kind]
    body = zlib.compress(rng.randbytes(size // 2), 0)[: size - len(head)]
    return kind, head + body + rng.randbytes(max(0, size - len(head) - len(body)))


def _size(rng: random.Random, median: int) -> int:
    """Sizes spread like real files: mostly small, a long tail (log-normal around `median` bytes)."""
    return max(200, min(int(rng.lognormvariate(0, 0.9) * median), 400_000))


_MEDIAN = {"py": 3500, "ts": 2500, "js": 3000, "yaml": 1200, "json": 3000, "ipynb": 12000, "md": 2500,
           "sh": 800, "toml": 600, "ini": 600, "txt": 1500, "java": 3000, "go": 2500, "cs": 2500}


def _render(rng: random.Random, kind: str) -> str:
    size = _size(rng, _MEDIAN[kind])
    if kind == "py":
        return _python(rng, size)
    if kind in ("ts", "js"):
        return _js(rng, size, kind == "ts")
    if kind == "yaml":
        return _yaml(rng, size)
    if kind == "json":
        return _json(rng, size)
    if kind == "ipynb":
        return _notebook(rng, size)
    if kind == "md":
        return _markdown(rng, size)
    return _text(rng, size, kind)


def _dirs(rng: random.Random, top: str, count: int) -> list[str]:
    """`count` directories under `top`, 2 to 4 levels deep."""
    out = set()
    while len(out) < count:
        depth = rng.randint(2, 4)
        out.add("/".join([top] + [rng.choice(_WORDS) + (str(rng.randint(1, 9)) if rng.random() < 0.3 else "")
                                  for _ in range(depth)]))
    return sorted(out)


def generate(out: Path, *, files: int = 50_000, seed: int = 1, copies: int = 10, decoy_copies: int = 40) -> dict:
    """Write the tree under `out` (replacing it) and return the manifest."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    planted_count = len(planted.TEMPLATES) * copies + len(planted.DECOYS) * decoy_copies
    binaries = int(files * BINARY_SHARE)
    node_modules = int(files * NODE_MODULES_SHARE)
    ordinary = max(0, files - binaries - node_modules - planted_count)
    app_dirs = _dirs(rng, "services", max(20, ordinary // 40))
    vendor_dirs = _dirs(rng, "vendor", max(4, ordinary // 300)) + _dirs(rng, "third_party", max(2, ordinary // 600))
    nm_dirs = _dirs(rng, "web/node_modules", max(2, node_modules // 50))
    written: set[str] = set()
    total_bytes = 0
    counts: dict[str, int] = {}

    def put(rel: str, data: bytes | str, category: str) -> str:
        nonlocal total_bytes
        if rel in written:
            stem, dot, ext = rel.rpartition(".")
            rel = f"{stem}_{len(written)}.{ext}" if dot else f"{rel}_{len(written)}"
        written.add(rel)
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path.write_bytes(raw)
        total_bytes += len(raw)
        counts[category] = counts.get(category, 0) + 1
        return rel

    kinds, weights = zip(*MIX.items())
    for i in range(ordinary):
        kind = rng.choices(kinds, weights)[0]
        vendored = rng.random() < VENDORED_SHARE
        directory = rng.choice(vendor_dirs if vendored else app_dirs)
        put(f"{directory}/{_ident(rng)}_{i}.{kind}", _render(rng, kind), "vendored" if vendored else kind)
    for i in range(binaries):
        ext, data = _binary(rng, _size(rng, 25_000))
        put(f"{rng.choice(app_dirs + vendor_dirs)}/{_ident(rng, 1)}_{i}.{ext}", data, "binary")
    for i in range(node_modules):
        put(f"{rng.choice(nm_dirs)}/{_camel(rng)}_{i}.js", _js(rng, _size(rng, 3000), False), "node_modules")

    findings = []
    for copy in range(copies):
        for n, (name, text, expected) in enumerate(planted.TEMPLATES):
            directory = f"{rng.choice(app_dirs)}/planted{copy}_{n}"
            rel = put(f"{directory}/{name}", text.replace("{KEY}", planted.fake_key(rng)), "planted")
            findings += [{"path": rel, "line": line, "rule_id": rule} for line, rule in expected]
    decoys = []
    for copy in range(decoy_copies):
        for n, (name, text) in enumerate(planted.DECOYS):
            decoys.append(put(f"{rng.choice(app_dirs)}/decoy{copy}_{n}/{name}", text, "decoy"))

    manifest = {
        "seed": seed,
        "files": len(written),
        "bytes": total_bytes,
        "files_by_category": dict(sorted(counts.items())),
        "pruned_dirs": ["node_modules"],
        "planted": sorted(findings, key=lambda f: (f["path"], f["line"])),
        "decoys": sorted(decoys),
    }
    manifest_path(out).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def manifest_path(out: Path) -> Path:
    return out.parent / f"{out.name}.manifest.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to create (replaced if it exists)")
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--copies", type=int, default=10, help="copies of each planted template")
    args = parser.parse_args()
    m = generate(args.out, files=args.files, seed=args.seed, copies=args.copies)
    print(f"{args.out}: {m['files']} files, {m['bytes'] / 1e6:.0f} MB, {len(m['planted'])} planted findings, "
          f"{len(m['decoys'])} decoys; manifest {manifest_path(args.out)}")


if __name__ == "__main__":
    main()
