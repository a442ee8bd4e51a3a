"""Run Molecule scenarios with `molecule test` and write .test-results/molecule-<scenario>.xml.

One JUnit test case per scenario: a failure when molecule exits non-zero, with the tail of
the log as the message. The full log goes to .test-results/molecule-<scenario>.log.

Scenarios run in `--jobs` lanes at once (default 1). Much of a scenario is waiting (systemd
boots, simulated reboots, rollouts), so two lanes on two cores finish well before one.
Scenarios without podman hosts (driver `default`: cluster, device_plugins) share the lab's
one control plane, so they form one group that runs in a single lane, in order.
Usage: run_scenario.py RESULTS_DIR SCENARIO... [--jobs N]
"""

from __future__ import annotations

import argparse
import fcntl
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

# ANSI colour sequences and the control characters XML 1.0 cannot hold (Molecule colours its log).
_NOT_XML = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def log_tail(log_path: Path, lines: int = 60) -> str:
    """The last lines of the log as text that fits in an XML document."""
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return _NOT_XML.sub("", "\n".join(tail))


def uses_control_plane(scenario: str) -> bool:
    """True for the API-only scenarios (their driver is `default`, not podman)."""
    config = yaml.safe_load(Path("molecule", scenario, "molecule.yml").read_text()) or {}
    return (config.get("driver") or {}).get("name") == "default"


def lanes_plan(scenarios: list[str]) -> list[list[str]]:
    """Groups of scenarios, each run in order in one lane: the API-only group (the longest) first."""
    api = [s for s in scenarios if uses_control_plane(s)]
    return ([api] if api else []) + [[s] for s in scenarios if s not in api]


def run(scenario: str, results: Path) -> bool:
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
    return rc == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    args.results.mkdir(parents=True, exist_ok=True)
    groups = lanes_plan(args.scenarios)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda group: [run(s, args.results) for s in group], groups))
    return 0 if all(all(group) for group in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
