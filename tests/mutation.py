"""Mutation testing with mutmut 3.x, one file at a time; not part of CI (minutes per file).

    python -m tests.mutation collector/mqtt/consumer.py [--keep DIR]

Copies the tracked files of the repository into a temporary folder, writes a
`[tool.mutmut]` section there that mutates only FILE and runs only the tests
listed for it below (mutmut runs, per mutant, those that reach the mutated
function), runs `mutmut run`, then prints the score and every surviving
mutant's diff. Record the result in tests/MUTATION.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The fast tests that exercise each file (integration tests are too slow to run per mutant;
#: what only they catch is listed as such in tests/MUTATION.md).
TESTS = {
    "collector/mqtt/consumer.py": ["tests/collector/mqtt/test_consumer.py"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", choices=sorted(TESTS))
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="mutmut-"))
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.split()
    for name in tracked:
        if (ROOT / name).is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, work / name)
    package = args.file.split("/")[0]
    tests = ", ".join(f'"{t}"' for t in TESTS[args.file])
    with (work / "pyproject.toml").open("a") as config:
        config.write(f'\n[tool.mutmut]\nsource_paths = ["{package}"]\n'
                     f'only_mutate = ["{args.file}"]\n'
                     f"pytest_add_cli_args_test_selection = [{tests}]\n"
                     'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n')
    env = {**os.environ, "PYTHONPATH": str(work)}
    subprocess.run(["mutmut", "run"], cwd=work, env=env, check=False)
    results = subprocess.run(["mutmut", "results", "--all", "true"], cwd=work, env=env,
                             capture_output=True, text=True).stdout
    states = [line.rsplit(":", 1)[1].strip() for line in results.splitlines() if ":" in line]
    killed = states.count("killed")
    total = len(states)
    print(f"\n{args.file}: {killed} of {total} mutants killed "
          f"({killed / max(total, 1):.0%}; 'no tests' = no listed test reaches it); by state: "
          + ", ".join(f"{s} {states.count(s)}" for s in sorted(set(states))))
    for line in results.splitlines():
        name = line.split(":")[0].strip()
        if line.rstrip().endswith("survived"):
            diff = subprocess.run(["mutmut", "show", name], cwd=work, env=env,
                                  capture_output=True, text=True).stdout
            print(f"\n--- survived: {name}\n{diff}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
