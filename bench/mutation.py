"""Mutation testing: would the tests notice a small change to the code they cover?

Run: python -m bench.mutation [--paths policy,rules] [--show-survivors] [--max-minutes 50]

Each target names the modules to mutate and a bounded set of fast tests that cover them (no model
training, SQLite only for the database tests), so a whole run stays well under an hour on 2 cores.
``mutmut`` changes the source files in place, so the run happens in a scratch copy of ``src/`` and
``tests/`` (imported first through ``PYTHONPATH``); the working tree is never touched. Prints
killed / survived / timed-out counts per module and, with ``--show-survivors``, the diff of every
surviving mutant.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = "src/listingguard"


@dataclass(frozen=True)
class Target:
    paths: tuple[str, ...]  # files under src/listingguard to mutate
    tests: tuple[str, ...]  # pytest arguments: the fast tests that cover them
    conftest: bool = False  # the tests need tests/conftest.py (its imports cost seconds per mutant)


TARGETS = {
    # thresholds.py is left out: its tests train a model, minutes per mutant
    "policy": Target(
        ("policy/service.py", "policy/schemas.py"),
        ("tests/policy/test_service.py", "tests/policy/test_strictest.py", "tests/policy/test_mutants.py"),
    ),
    # test_engine.py needs tests/conftest.py; the self-contained rules tests run without it
    "rules": Target(
        ("rules/engine.py", "rules/matcher.py", "rules/schemas.py"),
        ("tests/rules/test_exceptions.py", "tests/rules/test_matcher.py", "tests/rules/test_mutants.py"),
    ),
    "text": Target(("text/normalize.py", "text/tokenize.py"), ("tests/text/",)),
    # the review tests need tests/conftest.py and a trained model, cached across the mutants (see env)
    "review": Target(
        ("review/service.py",),
        (
            "tests/review/test_claim_token.py",
            "tests/review/test_service.py",
            "tests/review/test_mutants.py",
            "-k",
            "sqlite",
        ),
        conftest=True,
    ),
}
DEFAULT = ("policy", "rules", "text")
STATUSES = {
    "ok_killed": "killed",
    "bad_survived": "survived",
    "bad_timeout": "timeout",
    "ok_suspicious": "suspicious",
    "skipped": "skipped",
    "untested": "untested",
}


def scratch_copy() -> Path:
    work = Path(tempfile.mkdtemp(prefix="mutation-"))
    for name in ("src", "tests"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    return work


def run_target(name: str, target: Target, work: Path, *, timeout: float) -> dict[str, dict[str, int]]:
    """Run mutmut over one target in ``work``; return counts per module and status."""
    cache = work / ".mutmut-cache"
    cache.unlink(missing_ok=True)
    tests = " ".join(target.tests)
    conftest = "" if target.conftest else "--noconftest "
    runner = f"{sys.executable} -m pytest -p no:cacheprovider -x -q --no-header -o addopts= {conftest}{tests}"
    env = {
        **os.environ,
        "PYTHONPATH": f"{work / 'src'}{os.pathsep}{work}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # schemathesis, playwright … cost seconds at every start
        # the unmutated run trains the tests' model once; every mutant's run loads it instead of training
        "LISTINGGUARD_TEST_MODEL_CACHE": str(work / "model-cache"),
    }
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [
        str(mutmut),
        "run",
        "--paths-to-mutate",
        ",".join(f"{PKG}/{p}" for p in target.paths),
        "--tests-dir",
        "tests",
        "--runner",
        runner,
        "--no-progress",
        "--simple-output",
    ]
    # its own session, so that a timeout stops mutmut's worker process too, before the copy is removed
    process = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        print(f"{name}: stopped after {timeout / 60:.0f} min; counts are for the mutants tested so far")
    return counts(cache)


def counts(cache: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    if not cache.exists():
        return out
    with sqlite3.connect(cache) as db:
        rows = db.execute(
            "SELECT s.filename, m.status, count(*) FROM Mutant m JOIN Line l ON m.line = l.id "
            "JOIN SourceFile s ON l.sourcefile = s.id GROUP BY s.filename, m.status"
        ).fetchall()
    for filename, status, n in rows:
        out.setdefault(filename, {})[STATUSES.get(status, status)] = n
    return out


def survivors(work: Path) -> list[str]:
    cache = work / ".mutmut-cache"
    with sqlite3.connect(cache) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM Mutant WHERE status = 'bad_survived' ORDER BY id")]
    mutmut = Path(sys.executable).with_name("mutmut")
    shown = []
    for mutant_id in ids:
        diff = subprocess.run(
            [str(mutmut), "show", str(mutant_id)], cwd=work, capture_output=True, text=True, check=False
        ).stdout
        shown.append(f"# mutant {mutant_id}\n{diff.strip()}")
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default=",".join(DEFAULT), help=f"targets, from {', '.join(TARGETS)}")
    parser.add_argument("--show-survivors", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument("--max-minutes", type=float, default=50, help="stop a target after this long")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.paths.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    total = {"killed": 0, "survived": 0}
    print(f"{'module':<40} {'killed':>7} {'survived':>9} {'timeout':>8} {'other':>6}")
    for name in names:
        work = scratch_copy()
        try:
            start = time.monotonic()
            result = run_target(name, TARGETS[name], work, timeout=args.max_minutes * 60)
            for module, by_status in sorted(result.items()):
                killed, survived = by_status.get("killed", 0), by_status.get("survived", 0)
                timeout = by_status.get("timeout", 0)
                other = sum(by_status.values()) - killed - survived - timeout
                total["killed"] += killed
                total["survived"] += survived
                print(f"{module.removeprefix('src/'):<40} {killed:>7} {survived:>9} {timeout:>8} {other:>6}")
            print(f"  ({name}: {time.monotonic() - start:.0f} s)")
            if args.show_survivors:
                for diff in survivors(work):
                    print(diff)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    scored = total["killed"] + total["survived"]
    if scored:
        print(f"mutation score: {total['killed']}/{scored} = {total['killed'] / scored:.0%} killed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
