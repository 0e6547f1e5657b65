"""Mutation testing (mutmut 3.x) of one module against the tests that cover it. Not part of CI:
it takes minutes to hours. Scores are recorded in tests/MUTATION.md.

    python -m tests.mutation.run_mutmut rules/intervals.py tests/rules [--max-children 2]

Copies the repository (without .git) into a temporary folder, writes a `[mutmut]`
section for just this module there (so no project config changes), runs
`mutmut run` and prints every mutant that was not killed with its diff, then the
score. `--keep DIR` keeps the working copy to inspect or re-run survivors.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", help="file to mutate, relative to the repository")
    ap.add_argument("tests", nargs="+", help="test paths that exercise it")
    ap.add_argument("--max-children", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="working copy folder (default: temporary)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="mutmut-"))
    shutil.copytree(ROOT, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
        ".git", "mutants", "__pycache__", ".hypothesis", "*.db*", "civicwatt-demo"))
    pyproject = work / "pyproject.toml"  # our section wins over any project-wide one
    pyproject.write_text(re.sub(r"\n\[tool\.mutmut\][^\[]*", "\n", pyproject.read_text()))
    package = args.module.split("/")[0]
    (work / "setup.cfg").write_text(
        "[mutmut]\n"
        f"source_paths={package}\n"
        f"only_mutate={args.module}\n"
        "also_copy=\n  tests\n  civicwatt\n  collector\n  store\n  forecaster\n  rules\n  config\n"
        "pytest_add_cli_args_test_selection=\n" + "".join(f"  {t}\n" for t in args.tests)
        + "pytest_add_cli_args=\n  -p\n  no:cacheprovider\n  -q\n")
    run = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children",
                          str(args.max_children)], cwd=work)
    if run.returncode not in (0, 1):
        return run.returncode
    results = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                             cwd=work, capture_output=True, text=True).stdout
    statuses: dict[str, int] = {}
    survivors = []
    for line in results.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            statuses[status] = statuses.get(status, 0) + 1
            if status != "killed":
                survivors.append(name)
    for name in survivors:
        print(subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=work,
                             capture_output=True, text=True).stdout)
    total = sum(statuses.values())
    killed = statuses.get("killed", 0)
    print(f"{args.module}: {killed}/{total} killed ({100 * killed / max(total, 1):.1f} %); "
          + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"working copy: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
