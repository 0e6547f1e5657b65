"""Mutation testing (mutmut 3.x) of one source file against the tests that guard it.

    python -m tests.mutation collector/spool.py [--max-children 2] [--keep DIR]
    python -m tests.mutation some/file.py --tests tests/a.py tests/b.py

Not part of CI (tens of minutes per file on two cores). The repository's tracked files are
copied into a scratch folder whose pyproject.toml gets a `[tool.mutmut]` section for this one
file, so the real pyproject.toml stays clean and files can run one after another. Prints
killed / survived / other counts, the score, and each surviving mutant's name; with
`--keep DIR` the folder stays for `mutmut show NAME` / `mutmut browse` there. Results are
recorded in tests/MUTATION.md. Needs the services the selected tests start (influxd, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: file → the tests that guard it (in-process tests only count: mutmut 3 maps tests to
#: functions by tracing; subprocess CLIs do not see the trampolines)
TESTS = {
    "collector/spool.py": ["tests/collector/test_spool_edges.py",
                           "tests/collector/test_spool_writer.py",
                           "tests/collector/test_spool_state.py",
                           "tests/collector/test_writer_outage.py",
                           "tests/civicwatt/service/test_pipeline_health.py"],
    "collector/writer.py": ["tests/collector/test_writer_edges.py",
                            "tests/collector/test_spool_writer.py",
                            "tests/collector/test_spool_state.py",
                            "tests/collector/test_writer_outage.py",
                            "tests/integration/test_store_outage.py",
                            "tests/collector/test_writer_clock.py"],
    "store/http.py": ["tests/store", "tests/integration/test_store_outage.py",
                      "tests/collector/test_writer_outage.py"],
    "collector/mqtt/consumer.py": ["tests/collector/mqtt/test_consumer.py"],
    "rules/intervals.py": ["tests/rules/test_intervals.py", "tests/rules/test_metering_golden.py",
                           "tests/rules/test_energy_classes.py"],
    "rules/setpoints.py": ["tests/rules/test_setpoints.py", "tests/rules/test_setpoint_safety.py",
                           "tests/rules/test_setpoint_mutants.py"],
    "rules/setpoint_governor.py": ["tests/rules/test_setpoints.py",
                                   "tests/rules/test_setpoint_safety.py",
                                   "tests/rules/test_setpoint_mutants.py"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="the source file to mutate, relative to the repository")
    parser.add_argument("--tests", nargs="+", help="test paths (default: the file's entry in "
                                                   "TESTS)")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the scratch folder here")
    args = parser.parse_args()
    tests = args.tests or TESTS.get(args.file)
    if not tests:
        parser.error(f"no tests known for {args.file}: give --tests")
    work = args.keep or Path(tempfile.mkdtemp(prefix="mutation-"))
    try:
        prepare(work, args.file, tests)
        # mutants/ must exist before mutmut starts: Python caches "no finder" for a
        # PYTHONPATH entry that is missing at startup, so the in-process stats run would not
        # find `tests` in it even after mutmut has copied it there (a retry hid this)
        (work / "mutants").mkdir(exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(work / "mutants"), "CI": "true",
               "CIVICWATT_MUTATION": "1"}  # fewer property-test examples per mutant
        for _ in range(3):  # a test that flakes under load in the clean run: try again
            done = subprocess.run(["mutmut", "run", "--max-children", str(args.max_children)],
                                  cwd=work, env=env, check=False)
            if done.returncode == 0:
                break
            print(f"mutmut run exited {done.returncode}; trying again", file=sys.stderr)
        subprocess.run(["mutmut", "export-cicd-stats"], cwd=work, env=env, check=True,
                       capture_output=True)
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        survived = subprocess.run(["mutmut", "results"], cwd=work, env=env, text=True,
                                  capture_output=True, check=True).stdout
        report(args.file, stats, survived)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def prepare(work: Path, file: str, tests: list[str]) -> None:
    """Copy the tracked files and write the one-file mutmut configuration."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, text=True, capture_output=True,
                            check=True).stdout.split()
    for name in listed:
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    package = file.split("/")[0]
    others = sorted({n.split("/")[0] for n in listed if "/" in n} - {package, "tests"})
    section = {
        "source_paths": [package],
        "only_mutate": [f"*{file}"],
        "also_copy": others,
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x"],
        "debug": True,  # the log then shows which test failed if the clean run is flaky
    }
    with (work / "pyproject.toml").open("a") as handle:
        handle.write("\n[tool.mutmut]\n")
        for key, value in section.items():
            handle.write(f"{key} = {json.dumps(value)}\n")


def report(file: str, stats: dict, survived: str) -> None:
    killed, alive = stats.get("killed", 0), stats.get("survived", 0)
    decided = killed + alive
    score = killed / decided if decided else 0.0
    other = {k: v for k, v in stats.items() if k not in ("killed", "survived", "total") and v}
    print(f"\n{file}: {killed} killed, {alive} survived of {stats.get('total', decided)} "
          f"mutants ({other or 'no others'}): score {score:.1%}")
    print(survived.strip() or "no survivors")


if __name__ == "__main__":
    sys.exit(main())
