"""Pre-commit latency: `scan` on 1 and on 20 changed files, process start included, vs `python -c pass`.

    python benchmarks/precommit_latency.py [--repeat 15]

pre-commit passes the changed files as arguments, so that is what is timed: a fresh
`python -m migrator scan FILES` process each time, as the hook runs it. The files are a realistic
change: one Python file with a static-key use (the case that needs LibCST); for 20, a mix of
Python, YAML, JSON, Markdown and TypeScript, a few with findings. The median of --repeat runs is shown.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate_tree  # noqa: E402
import planted  # noqa: E402

TARGET_ONE_FILE_S = 0.3


def measure(cmd: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system, from wait4) of `repeat` fresh processes.

    CPU time is the steadier figure on a shared machine: it leaves out time spent waiting for a core.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={"PYTHONPATH": str(HERE.parent), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
        _pid, _status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
        proc.returncode = 0  # reaped above
    return statistics.median(walls), statistics.median(cpus)


def change_set(root: Path) -> tuple[list[str], list[str]]:
    """(one file, twenty files) written under root."""
    rng = random.Random(7)
    name, text, _expected = planted.TEMPLATES[1]  # a module-level header dict with an env key
    (root / name).write_text(text, encoding="utf-8")
    twenty = [name]
    for i, (tname, ttext, _e) in enumerate(t for t in planted.TEMPLATES if t[0].endswith((".yaml", ".json", ".ts"))):
        path = root / f"cfg{i}_{tname}"
        path.write_text(ttext.replace("{KEY}", planted.fake_key(rng)), encoding="utf-8")
        twenty.append(path.name)
    kinds = ["py", "py", "py", "yaml", "json", "md", "ts"]
    while len(twenty) < 20:
        kind = kinds[len(twenty) % len(kinds)]
        path = root / f"changed_{len(twenty)}.{kind}"
        path.write_text(generate_tree._render(rng, kind), encoding="utf-8")
        twenty.append(path.name)
    return [name], twenty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter to run, e.g. that of an isolated venv as pre-commit builds for the hook "
                             "(python -m venv /tmp/hook && /tmp/hook/bin/pip install .); the checkout's code is "
                             "used either way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one, twenty = change_set(root)
        (root / "plain.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
        py = [args.python]
        rows = [
            ("python -c pass", measure([*py, "-c", "pass"], root, args.repeat)),
            ("python -c 'import migrator.cli'", measure([*py, "-c", "import migrator.cli"], root, args.repeat)),
            ("scan 1 file, no keyword (prefilter only)", measure([*py, "-m", "migrator", "scan", "plain.py"], root,
                                                                     args.repeat)),
            ("scan 1 file with a finding (LibCST)", measure([*py, "-m", "migrator", "scan", *one], root, args.repeat)),
            ("scan 20 files, 6 with findings", measure([*py, "-m", "migrator", "scan", *twenty], root, args.repeat)),
        ]
    base_wall, base_cpu = rows[0][1]
    print(f"{'command (median of ' + str(args.repeat) + ')':<44} {'wall s':>7} {'cpu s':>6} {'wall - python -c pass':>22}")
    for name, (wall, cpu) in rows:
        print(f"{name:<44} {wall:>7.3f} {cpu:>6.3f} {wall - base_wall:>22.3f}")
    wall, cpu = rows[3][1]
    verdict = "meets" if wall < TARGET_ONE_FILE_S else "misses"
    print(f"one file with a finding: {wall:.3f} s wall ({cpu:.3f} s CPU), {verdict} the {TARGET_ONE_FILE_S} s target; "
          f"load average {open('/proc/loadavg').read().split()[0]}")

if __name__ == "__main__":
    main()
