"""Full-scan benchmark: `scan` side by side with grep, detect-secrets and semgrep on one generated tree.

    python -m venv benchmarks/.venv && benchmarks/.venv/bin/pip install -e '.[benchmark]'   # once
    python benchmarks/run.py                        # builds /tmp/celonis-bench/tree (50,000 files) if missing
    python benchmarks/run.py --tree /tmp/t --files 10000 --repeat 1 --no-tools

Every command runs under `/usr/bin/time` (wall time and the peak RSS of the largest process; with
--jobs the workers are separate processes of about that size each), `--repeat` times; the table
shows the fastest run (the warm-cache figure: the tree was just written or read). files/s counts the
files outside node_modules/, which every tool here is told to leave out, as `scan` does by default.
The scan's findings are checked against the tree's manifest: every planted use found, nothing else.
detect-secrets and semgrep come from benchmarks/.venv (the `benchmark` extra pins their versions);
a tool that is missing or fails is listed with the reason, never with made-up figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV_BIN = HERE / ".venv" / "bin"
OUT = HERE / "out"

#: The semgrep rule of ours: an Authorization scheme followed by a key-like value, in any file.
SEMGREP_RULE = """\
rules:
  - id: celonis-static-key-header
    languages: [regex]
    severity: WARNING
    message: static Celonis key (AppKey or Bearer) in an Authorization value
    pattern-regex: (?i)\\b(AppKey|Bearer)\\s+[A-Za-z0-9+/=_.~-]{8,}
"""


def machine() -> dict[str, str]:
    def sh(cmd: str) -> str:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()

    cpu = next((line.split(":", 1)[1].strip() for line in sh("lscpu").splitlines() if line.startswith("Model name")),
               platform.processor())
    return {"cpu": cpu, "nproc": sh("nproc"), "memory": sh("free -h | awk '/^Mem:/ {print $2}'"),
            "python": platform.python_version(), "os": platform.platform(), "load": sh("cat /proc/loadavg")}


def timed(cmd: list[str], *, cwd: Path, repeat: int, env: dict[str, str] | None = None,
          ok_codes: tuple[int, ...] = (0, 1)) -> dict:
    """Fastest of `repeat` runs: wall seconds and peak RSS (MB) from /usr/bin/time; or the failure."""
    best: dict = {}
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            started = time.perf_counter()
            proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name, *cmd], cwd=cwd,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, **(env or {})})
            wall = time.perf_counter() - started
            measured = tf.read().split()
        if proc.returncode not in ok_codes:
            return {"error": f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or ['?'])[-1][:120]}"}
        run = {"wall": wall, "rss_mb": int(measured[-1]) / 1024 if measured else float("nan")}
        if not best or run["wall"] < best["wall"]:
            best = run
    return best


def ensure_tree(tree: Path, files: int, seed: int) -> dict:
    manifest = tree.parent / f"{tree.name}.manifest.json"
    if not tree.is_dir() or not manifest.is_file() or json.loads(manifest.read_text())["files"] != files:
        print(f"generating {tree} ({files} files) ...", flush=True)
        subprocess.run([sys.executable, str(HERE / "generate_tree.py"), str(tree), "--files", str(files),
                        "--seed", str(seed)], check=True)
    return json.loads(manifest.read_text())


def check_findings(result_json: Path, manifest: dict) -> str:
    """'ok' when the scan found exactly the planted uses, else what differs."""
    data = json.loads(result_json.read_text())
    got = {(f["path"], f["line"], f["rule_id"]) for f in data["findings"]}
    want = {(p["path"], p["line"], p["rule_id"]) for p in manifest["planted"]}
    missing, extra = want - got, got - want
    stats = data["stats"]
    head = (f"{len(got & want)}/{len(want)} planted found, {len(extra)} other; "
            f"{stats['files_prefiltered']}/{stats['files_scanned']} files decided by the prefilter")
    if missing or extra:
        return head + f"; missing e.g. {sorted(missing)[:2]}, extra e.g. {sorted(extra)[:2]}"
    return head + " (exact)"


def scan_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "migrator", "scan", "--no-git", "--format", "json", *args, "."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=Path(tempfile.gettempdir()) / "celonis-bench" / "tree")
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", default="1,2,auto", help="comma-separated --jobs values to measure")
    parser.add_argument("--no-tools", action="store_true", help="skip detect-secrets and semgrep")
    parser.add_argument("--no-detect-secrets", action="store_true",
                        help="skip detect-secrets (it takes about half an hour on the default tree)")
    parser.add_argument("--memory-files", type=int, default=12_500,
                        help="also scan a tree of this many files, to compare peak RSS (0: skip)")
    args = parser.parse_args()

    manifest = ensure_tree(args.tree, args.files, args.seed)
    OUT.mkdir(exist_ok=True)
    env = {"PYTHONPATH": str(REPO)}
    files = manifest["files"] - manifest["files_by_category"].get("node_modules", 0)
    rows: list[tuple[str, dict, str]] = []

    rows.append(("grep -rIlE 'AppKey|Bearer' (floor)",
                 timed(["grep", "-rIlE", "AppKey|Bearer", "--exclude-dir=node_modules", "."], cwd=args.tree,
                       repeat=args.repeat), "files with either word, no analysis"))
    for jobs in args.jobs.split(","):
        out = OUT / f"scan-j{jobs}.json"
        r = timed(scan_cmd("-j", jobs, "-o", str(out)), cwd=args.tree, repeat=args.repeat, env=env)
        rows.append((f"scan -j {jobs}", r, check_findings(out, manifest) if "error" not in r else ""))
    cache = Path(tempfile.mkdtemp(prefix="celonis-cache-"))
    cold = timed(scan_cmd("--cache-dir", str(cache), "-o", str(OUT / "scan-cold.json")), cwd=args.tree, repeat=1,
                 env=env)
    rows.append(("scan --cache-dir (empty cache)", cold, "fills the cache; this and the next rows use -j auto"))
    warm = timed(scan_cmd("--cache-dir", str(cache), "-o", str(OUT / "scan-warm.json")), cwd=args.tree,
                 repeat=args.repeat, env=env)
    rows.append(("scan --cache-dir (re-scan, unchanged)", warm,
                 check_findings(OUT / "scan-warm.json", manifest) + "; no file read (stat index)"))
    changed = args.tree / manifest["planted"][0]["path"]
    changed.write_bytes(changed.read_bytes() + b"\n# edited\n")
    one = timed(scan_cmd("--cache-dir", str(cache), "-o", str(OUT / "scan-one-changed.json")), cwd=args.tree,
                repeat=1, env=env)
    changed.write_bytes(changed.read_bytes()[: -len(b"\n# edited\n")])
    rows.append(("scan --cache-dir (re-scan, 1 file changed)", one, "that file read and parsed again"))
    shutil.rmtree(cache, ignore_errors=True)

    if not args.no_tools:
        ds = VENV_BIN / "detect-secrets"
        if args.no_detect_secrets:
            rows.append(("detect-secrets", {"error": "skipped (--no-detect-secrets)"}, ""))
        elif ds.exists():
            version = subprocess.run([str(ds), "--version"], capture_output=True, text=True).stdout.strip()
            rows.append((f"detect-secrets {version} scan --all-files",
                         timed([str(ds), "scan", "--all-files", "--exclude-files", "node_modules", "."],
                               cwd=args.tree, repeat=1), "all its plugins (its default)"))
        else:
            rows.append(("detect-secrets", {"error": f"not installed in {VENV_BIN} (pip install -e '.[benchmark]')"},
                         ""))
        sg = VENV_BIN / "semgrep"
        if sg.exists():
            rule = OUT / "semgrep-rule.yaml"
            rule.write_text(SEMGREP_RULE, encoding="utf-8")
            version = subprocess.run([str(sg), "--version"], capture_output=True, text=True).stdout.strip()
            rows.append((f"semgrep {version} --config <our regex rule>",
                         timed([str(sg), "scan", "--config", str(rule), "--metrics=off", "--disable-version-check",
                                "--json", "-q", "--exclude", "node_modules", "-o", str(OUT / "semgrep.json"), "."],
                               cwd=args.tree, repeat=1, env={"SEMGREP_SEND_METRICS": "off"}),
                         "one regex rule, its default 1 MB file cap, all cores"))
        else:
            rows.append(("semgrep", {"error": f"not installed in {VENV_BIN} (pip install -e '.[benchmark]')"}, ""))

    if args.memory_files:
        small = args.tree.parent / f"{args.tree.name}-{args.memory_files}"
        small_manifest = ensure_tree(small, args.memory_files, args.seed)
        r = timed(scan_cmd("-j", "1", "-o", str(OUT / "scan-small.json")), cwd=small, repeat=args.repeat, env=env)
        small_files = small_manifest["files"] - small_manifest["files_by_category"].get("node_modules", 0)
        rows.append((f"scan -j 1 on {small_files} files (memory check)", r, "peak RSS vs the full tree"))

    floor = rows[0][1].get("wall")
    ds_wall = next((r["wall"] for name, r, _ in rows if name.startswith("detect-secrets") and "wall" in r), None)
    print()
    print(f"tree: {args.tree}  {manifest['files']} files ({files} outside node_modules), "
          f"{manifest['bytes'] / 1e6:.0f} MB, {len(manifest['planted'])} planted findings")
    print("machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()))
    header = f"{'command':<46} {'wall s':>8} {'peak RSS MB':>12} {'files/s':>9} {'x grep':>7} {'x d-s':>6}  notes"
    print(header)
    print("-" * len(header))
    results = []
    for name, r, note in rows:
        if "error" in r:
            print(f"{name:<46} {'-':>8} {'-':>12} {'-':>9} {'-':>7} {'-':>6}  did not run: {r['error']}")
            results.append({"command": name, "error": r["error"]})
            continue
        ratio = f"{r['wall'] / floor:.1f}" if floor else "-"
        vs_ds = f"{r['wall'] / ds_wall:.2f}" if ds_wall else "-"
        count = small_files if "memory check" in name else files
        print(f"{name:<46} {r['wall']:>8.2f} {r['rss_mb']:>12.0f} {count / r['wall']:>9.0f} {ratio:>7} {vs_ds:>6}  {note}")
        results.append({"command": name, **r, "files_per_s": count / r["wall"], "note": note})
    (OUT / "results.json").write_text(json.dumps({"machine": machine(), "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
