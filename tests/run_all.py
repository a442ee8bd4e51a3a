"""Run every test suite of rdmaops.fabric and print one total line.

Each suite is a make target. Suites that write JUnit XML into .test-results/ are counted
test by test; the others (lint, sanity) count as one test each, passed when the target
exits 0. A suite that exits non-zero without a failing test case in its XML (for example
a coverage floor) adds one failure, so the total can never hide a red suite.
The last line is `N passed, M failed, K skipped`; the exit code is 1 when M > 0.

The cheap suites run one after the other. The long ones that mostly wait (on reboots of lab
containers, on API servers) run in two lanes at once: Molecule in one, the site and cluster
suites in the other; each has its own hosts and control plane. Their output goes to
.test-results/logs/<suite>.log, and the log's tail is printed when a suite fails.
RUN_ALL_SERIAL=1 runs every suite in turn with its output on the terminal.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
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
    ("site", "test-site", ["site.xml"]),
    ("cluster", "test-cluster", ["cluster.xml"]),
]
# The long suites, in lanes that run at the same time (each lane in order).
LANES = [["molecule"], ["site", "cluster"]]
LOG_TAIL_LINES = 150


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


def run_suite(name: str, target: str, junit_globs: list[str], log: Path | None = None) -> tuple[int, int, int, float]:
    for pattern in junit_globs:
        for stale in RESULTS.glob(pattern):
            stale.unlink()
    print(f"==> {name}: make {target}" + (f" (output: {log.relative_to(ROOT)})" if log else ""), flush=True)
    start = time.monotonic()
    cmd = ["make", "--no-print-directory", target]
    if log is None:
        rc = subprocess.call(cmd, cwd=ROOT)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            rc = subprocess.call(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
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


def run_lane(suites: list[tuple[str, str, list[str]]], results: dict) -> None:
    """Run the suites of one lane in turn, output to logs; print a log's tail when it fails."""
    for name, target, junit in suites:
        log = RESULTS / "logs" / f"{name}.log"
        results[name] = counts = run_suite(name, target, junit, log)
        passed, failed, skipped, elapsed = counts
        print(f"<== {name}: {passed} passed, {failed} failed, {skipped} skipped in {elapsed:.0f}s", flush=True)
        if failed:
            tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            print(f"--- last {len(tail)} lines of {log.relative_to(ROOT)} ---", *tail, "---", sep="\n", flush=True)


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    only = set(os.environ.get("SUITES", "").split()) or None
    selected = [s for s in SUITES if (not only or s[0] in only) and target_exists(s[1])]
    serial = os.environ.get("RUN_ALL_SERIAL") == "1"
    laned = set() if serial else {name for lane in LANES for name in lane}
    results: dict[str, tuple[int, int, int, float]] = {}
    for name, target, junit in selected:
        if name not in laned:
            results[name] = run_suite(name, target, junit)
    lanes = [[s for s in selected if s[0] in lane] for lane in LANES if not serial]
    threads = [threading.Thread(target=run_lane, args=(lane, results)) for lane in lanes if lane]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    totals = [0, 0, 0]
    rows = []
    for name, *_ in selected:
        p, f, s, elapsed = results[name]
        totals = [totals[0] + p, totals[1] + f, totals[2] + s]
        rows.append(f"  {name:<10} {p:>5} passed {f:>4} failed {s:>4} skipped  {elapsed:7.1f}s")
    print("\nSuites:")
    print("\n".join(rows))
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
