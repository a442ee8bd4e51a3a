"""Run `molecule test -s <scenario>` and write .test-results/molecule-<scenario>.xml.

One JUnit test case per scenario: a failure when molecule exits non-zero, with the tail of
the log as the message. The full log goes to .test-results/molecule-<scenario>.log.
Usage: run_scenario.py SCENARIO RESULTS_DIR
"""

from __future__ import annotations

import fcntl
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

# ANSI colour sequences and the control characters XML 1.0 cannot hold (Molecule colours its log).
_NOT_XML = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def log_tail(log_path: Path, lines: int = 60) -> str:
    """The last lines of the log as text that fits in an XML document."""
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return _NOT_XML.sub("", "\n".join(tail))


def main() -> int:
    scenario, results = sys.argv[1], Path(sys.argv[2])
    results.mkdir(parents=True, exist_ok=True)
    log_path = results / f"molecule-{scenario}.log"
    # Same lock as `make molecule`: runs of one scenario share containers and state.
    lock_path = Path(".lab") / f"molecule-{scenario}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"--> molecule test -s {scenario} (log: {log_path})", flush=True)
    with lock_path.open("w") as lock, log_path.open("wb") as log:
        fcntl.flock(lock, fcntl.LOCK_EX)
        start = time.monotonic()
        rc = subprocess.call(
            [str(Path(sys.executable).parent / "molecule"), "test", "-s", scenario],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    elapsed = time.monotonic() - start

    suite = ET.Element(
        "testsuite", name="molecule", tests="1", failures=str(int(rc != 0)), errors="0", time=f"{elapsed:.1f}"
    )
    case = ET.SubElement(suite, "testcase", classname="molecule", name=scenario, time=f"{elapsed:.1f}")
    if rc != 0:
        failure = ET.SubElement(case, "failure", message=f"molecule test -s {scenario} exited {rc}")
        failure.text = log_tail(log_path)
    ET.ElementTree(suite).write(results / f"molecule-{scenario}.xml", encoding="utf-8", xml_declaration=True)
    print(f"<-- {scenario}: {'passed' if rc == 0 else f'FAILED (rc={rc})'} in {elapsed:.0f} s", flush=True)
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
