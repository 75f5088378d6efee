"""`fix` throughput on Python files with findings, and the cost of a second run (nothing left to change).

    python benchmarks/fix_throughput.py [--files 400] [--dirs 20]

Writes --files copies of the Python templates of planted.py (every shape the codemods handle, each with
its own fake key) into --dirs directories, then times, as separate processes: `fix` (diff only),
`fix --write`, and `fix --write` again on the result. The second run should change nothing.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import planted  # noqa: E402


def run(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "migrator", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(HERE.parent), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    return time.perf_counter() - started, proc


def summary(proc: subprocess.CompletedProcess[str]) -> str:
    first = (proc.stderr.splitlines() or ["?"])[0]
    return re.sub(r"^celonis-migrator fix: ", "", first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--dirs", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(11)
    templates = [t for t in planted.TEMPLATES if t[0].endswith(".py")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(args.files):
            name, text, _expected = templates[i % len(templates)]
            path = root / f"pkg{i % args.dirs}" / f"{Path(name).stem}_{i}.py"
            path.parent.mkdir(exist_ok=True)
            path.write_text(text.replace("{KEY}", planted.fake_key(rng)), encoding="utf-8")
        rows = []
        for label, cmd in (("fix (diff only)", ["fix", "--no-git", "."]),
                           ("fix --write", ["fix", "--no-git", "--write", "."]),
                           ("fix --write, second run", ["fix", "--no-git", "--write", "."])):
            wall, proc = run(cmd, root)
            rows.append((label, wall, proc.returncode, summary(proc)))
    print(f"{args.files} Python files with static-key uses in {args.dirs} directories")
    print(f"{'command':<26} {'wall s':>7} {'files/s':>8} {'exit':>4}  result")
    for label, wall, code, text in rows:
        print(f"{label:<26} {wall:>7.2f} {args.files / wall:>8.0f} {code:>4}  {text}")


if __name__ == "__main__":
    main()
