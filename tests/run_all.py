"""Run every test suite of rdmaops.fabric and print one total line.

Each suite is a make target. Suites that write JUnit XML into .test-results/ are counted
test by test; the others (lint, sanity) count as one test each, passed when the target
exits 0. A suite that exits non-zero without a failing test case in its XML (for example
a coverage floor) adds one failure, so the total can never hide a red suite.
The last line is `N passed, M failed, K skipped`; the exit code is 1 when M > 0.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".test-results"

# (name, make target, JUnit files the target writes). Order: cheap and independent first.
SUITES = [
    ("lint", "lint", []),
    ("sanity", "sanity", []),
    ("unit", "unit", ["unit.xml"]),
    ("hwsim", "test-hwsim", ["hwsim.xml"]),
    ("playbooks", "test-playbooks", ["playbooks.xml"]),
    ("molecule", "test-molecule", ["molecule-*.xml"]),
    ("cluster", "test-cluster", ["cluster.xml"]),
]


def target_exists(target: str) -> bool:
    """True when some makefile defines the target (later issues add suites as mk/*.mk)."""
    pattern = re.compile(rf"^{re.escape(target)}\s*:", re.MULTILINE)
    makefiles = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    return any(pattern.search(p.read_text()) for p in makefiles if p.is_file())


def junit_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) over every <testcase> of one JUnit file."""
    passed = failed = skipped = 0
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        # A report we cannot read counts as one failure; the run goes on to the next suite.
        print(f"!! {path.name}: unreadable JUnit report ({exc})", flush=True)
        return 0, 1, 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def run_suite(name: str, target: str, junit_globs: list[str]) -> tuple[int, int, int, float]:
    for pattern in junit_globs:
        for stale in RESULTS.glob(pattern):
            stale.unlink()
    print(f"==> {name}: make {target}", flush=True)
    start = time.monotonic()
    rc = subprocess.call(["make", "--no-print-directory", target], cwd=ROOT)
    elapsed = time.monotonic() - start
    if not junit_globs:
        return (1, 0, 0, elapsed) if rc == 0 else (0, 1, 0, elapsed)
    passed = failed = skipped = 0
    for pattern in junit_globs:
        for path in sorted(RESULTS.glob(pattern)):
            p, f, s = junit_counts(path)
            passed, failed, skipped = passed + p, failed + f, skipped + s
    if rc != 0 and failed == 0:
        failed = 1  # the target failed outside its test cases (collection error, coverage floor...)
    if rc == 0 and passed + failed + skipped == 0:
        failed = 1  # a suite that ran no test is not a pass
        print(f"!! {name}: no test case recorded", flush=True)
    return passed, failed, skipped, elapsed


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    only = set(os.environ.get("SUITES", "").split()) or None
    totals = [0, 0, 0]
    rows = []
    for name, target, junit in SUITES:
        if only and name not in only:
            continue
        if not target_exists(target):
            continue
        p, f, s, elapsed = run_suite(name, target, junit)
        totals = [totals[0] + p, totals[1] + f, totals[2] + s]
        rows.append(f"  {name:<10} {p:>5} passed {f:>4} failed {s:>4} skipped  {elapsed:7.1f}s")
    print("\nSuites:")
    print("\n".join(rows))
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
