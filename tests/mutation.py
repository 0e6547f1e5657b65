"""Mutation testing with mutmut 3.x, one source file at a time (slow: not part of CI).

    python -m tests.mutation rules/setpoints.py rules/setpoint_governor.py
    python -m tests.mutation collector/spool.py --tests tests/collector/test_spool_writer.py

Each file is mutated in a scratch copy of the repository (git's tracked files
plus the working tree's changes), so the run never touches the checkout and
several files (or helpers) can use their own mutmut settings. Prints per file:
killed, survived, timeouts, the score, and every surviving mutant with its
diff; `tests/MUTATION.md` records the figures and why each survivor is
equivalent. Needs `pip install "mutmut>=3,<4"`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The tests that guard each file (fast, no services), unless --tests names others.
TESTS = {
    "rules/setpoints.py": ["tests/rules/test_setpoints.py", "tests/rules/test_setpoint_safety.py",
                           "tests/rules/test_setpoint_mutants.py"],
    "rules/setpoint_governor.py": ["tests/rules/test_setpoints.py",
                                   "tests/rules/test_setpoint_safety.py",
                                   "tests/rules/test_setpoint_mutants.py"],
}


def scratch_copy(target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def configure(target: Path, source: str, tests: list[str]) -> None:
    package = source.split("/")[0]
    text = (target / "pyproject.toml").read_text()
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)
    text += (f"\n[tool.mutmut]\nsource_paths = [{json.dumps(package)}]\n"
             f"only_mutate = [{json.dumps(source)}]\n"
             f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
             f"pytest_add_cli_args = [\"-p\", \"no:cacheprovider\", \"-q\"]\n")
    (target / "pyproject.toml").write_text(text)


def run_one(source: str, tests: list[str], keep: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="civicwatt-mutmut-"))
    try:
        scratch_copy(work)
        configure(work, source, tests)
        env = {**os.environ, "PYTHONPATH": str(work), "CI": "", "CIVICWATT_MUTATION": "1"}
        subprocess.run(["mutmut", "run"], cwd=work, env=env, check=False)
        listing = subprocess.run(["mutmut", "results", "--all", "true"], cwd=work, env=env,
                                 capture_output=True, text=True).stdout
        status: dict[str, str] = {}
        for line in listing.splitlines():
            name, _, state = line.strip().rpartition(": ")
            if name:
                status[name] = state
        counts: dict[str, int] = {}
        for state in status.values():
            counts[state] = counts.get(state, 0) + 1
        survivors = sorted(n for n, s in status.items() if s in ("survived", "no tests"))
        diffs = {n: subprocess.run(["mutmut", "show", n], cwd=work, env=env,
                                   capture_output=True, text=True).stdout for n in survivors}
        return {"file": source, "counts": counts, "survivors": diffs}
    finally:
        if keep:
            print(f"scratch copy kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="source files to mutate, e.g. rules/setpoints.py")
    parser.add_argument("--tests", nargs="+", help="test files (default: the table in this file)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args()
    if shutil.which("mutmut") is None:
        parser.error('mutmut is not installed: pip install "mutmut>=3,<4"')
    for source in args.files:
        tests = args.tests or TESTS.get(source)
        if not tests:
            parser.error(f"{source}: no tests known; pass --tests")
        result = run_one(source, tests, args.keep)
        counts = result["counts"]
        killed = counts.get("killed", 0) + counts.get("timeout", 0)
        total = sum(counts.values())
        score = 100.0 * killed / total if total else 0.0
        print(f"\n{source}: {total} mutants, {counts.get('killed', 0)} killed, "
              f"{counts.get('timeout', 0)} timeouts, {len(result['survivors'])} survived "
              f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}); "
              f"score {score:.1f} %")
        for name, diff in result["survivors"].items():
            print(f"--- survived: {name}\n{diff}")


if __name__ == "__main__":
    main()
