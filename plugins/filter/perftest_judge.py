# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: perftest_judge
short_description: Judge a parsed perftest result against a fraction of the link rate or a latency limit
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Takes the result of P(rdmaops.fabric.perftest_report#filter) and says whether it passes.
  - A bandwidth result passes when its best average bandwidth is at least O(min_bw_fraction) of the
    link rate (twice the link rate for bidirectional runs, whose bandwidth is the sum of both
    directions).
  - A latency result passes when O(lat_metric) of the smallest message size is at most O(max_lat_usec).
  - The link rate is what C(ibstatus), C(rdma_info) or sysfs C(ports/<n>/rate) print
    (such as 200 Gb/sec (4X HDR) or 25 Gb/sec (1X EDR)), the C(Rate) line of C(ibstat) (C(100), C(2.5)),
    an C(ethtool) speed (C(100000Mb/s)), or a number of Gb/s.
  - Fails with the name of the option when a needed option is missing or out of range; never
    passes a result it cannot judge.
positional: link_rate, min_bw_fraction, max_lat_usec
options:
  _input:
    description: A result of P(rdmaops.fabric.perftest_report#filter).
    type: dict
    required: true
  link_rate:
    description: The link rate (string as the tools print it, or Gb/s). Needed for bandwidth results.
    type: raw
  min_bw_fraction:
    description: Fraction of the link rate the average bandwidth must reach, above 0 and at most 1.
    type: float
  max_lat_usec:
    description: Highest acceptable latency in microseconds, above 0. Needed for latency results.
    type: float
  lat_metric:
    description:
      - The latency column judged. Duration runs (C(-D)) print only C(t_avg).
    type: str
    default: t_avg
    choices: [t_min, t_typical, t_avg, t_max, p99, p99_9]
"""

EXAMPLES = r"""
- name: The pod-to-pod ib_write_bw reaches 80% of a 200 Gb/s HDR link
  ansible.builtin.assert:
    that: __judgement.passed
    fail_msg: "{{ __judgement.message }}"
    success_msg: "{{ __judgement.message }}"
  vars:
    __judgement: "{{ __bw | rdmaops.fabric.perftest_judge('200 Gb/sec (4X HDR)', 0.8) }}"

- name: The typical latency is at most 3 usec
  ansible.builtin.debug:
    msg: "{{ (__lat | rdmaops.fabric.perftest_judge(max_lat_usec=3, lat_metric='t_typical')).message }}"
"""

RETURN = r"""
_value:
  description: The judgement.
  type: dict
  contains:
    passed:
      description: Whether the result meets the limit.
      type: bool
    tool:
      description: The perftest program.
      type: str
    kind:
      description: V(bw) or V(lat).
      type: str
    measured:
      description: Best average bandwidth in Gb/s, or the latency in usec.
      type: float
    limit:
      description: The lowest acceptable bandwidth in Gb/s, or the highest acceptable latency in usec.
      type: float
    link_rate_gbps:
      description: The link rate in Gb/s (bandwidth results).
      type: float
    message:
      description: One line that says what was measured against what.
      type: str
      sample: >-
        ib_write_bw: 195.66 Gb/s average (2097152-byte messages) >= 160.00 Gb/s = 0.8 x 200 Gb/s link rate: passed
"""

import re

from ansible.errors import AnsibleFilterError

# "200 Gb/sec (4X HDR)", "Rate: 100", "25", "2.5 Gb/sec (1X SDR)", "100000Mb/s", "400 Gbps".
RATE_RE = re.compile(
    r"^\s*(?:rate\s*:\s*)?(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>Gb/sec|Gb/s|Gbps|Gbit/s|Mb/sec|Mb/s|Mbps)?(?:\s*\(.*\))?\s*$",
    re.IGNORECASE,
)
LAT_METRICS = ("t_min", "t_typical", "t_avg", "t_max", "p99", "p99_9")


def link_rate_gbps(rate):
    """The link rate in Gb/s from a number or the rate string of ibstat, ibstatus, sysfs or ethtool."""
    if isinstance(rate, bool) or rate is None:
        raise AnsibleFilterError(f"perftest_judge: link_rate is required for a bandwidth result, got {rate!r}")
    if isinstance(rate, (int, float)):
        value = float(rate)
    else:
        match = RATE_RE.match(str(rate))
        if not match:
            raise AnsibleFilterError(
                f"perftest_judge: cannot read a link rate from {rate!r}; expected what the tools print, "
                "e.g. '200 Gb/sec (4X HDR)', 'Rate: 100', '100000Mb/s', or a number of Gb/s"
            )
        value = float(match.group("value"))
        if (match.group("unit") or "").lower().startswith("mb"):
            value /= 1000
    if value <= 0:
        raise AnsibleFilterError(f"perftest_judge: link_rate must be above 0 Gb/s, got {rate!r}")
    return value


def _positive(name, value, upper=None):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"perftest_judge: {name} must be a number, got {value!r}") from None
    if number <= 0 or (upper is not None and number > upper):
        bound = f"above 0 and at most {upper}" if upper is not None else "above 0"
        raise AnsibleFilterError(f"perftest_judge: {name} must be {bound}, got {value!r}")
    return number


def _fmt(number):
    return f"{number:g}"


def perftest_judge(report, link_rate=None, min_bw_fraction=None, max_lat_usec=None, lat_metric="t_avg"):
    """Whether a perftest_report result meets the bandwidth fraction or latency limit."""
    if not isinstance(report, dict) or report.get("kind") not in ("bw", "lat"):
        raise AnsibleFilterError("perftest_judge: input must be a result of rdmaops.fabric.perftest_report")
    tool = report.get("tool") or "perftest"
    if report["kind"] == "bw":
        if min_bw_fraction is None:
            raise AnsibleFilterError(f"perftest_judge: min_bw_fraction is required to judge the {tool} bandwidth")
        fraction = _positive("min_bw_fraction", min_bw_fraction, upper=1)
        rate = link_rate_gbps(link_rate)
        measured = report.get("bw_avg_gbps")
        if measured is None:
            raise AnsibleFilterError(
                f"perftest_judge: the {tool} result has no bandwidth in a known unit ({report.get('units')!r})"
            )
        directions = 2 if report.get("bidirectional") else 1
        limit = fraction * rate * directions
        passed = measured >= limit
        size = (report.get("best_row") or {}).get("bytes")
        what = f"{_fmt(fraction)} x {_fmt(rate)} Gb/s link rate" + (" x 2 directions" if directions == 2 else "")
        message = (
            f"{tool}: {measured:.2f} Gb/s average ({size}-byte messages) {'>=' if passed else '<'} "
            f"{limit:.2f} Gb/s = {what}: {'passed' if passed else 'FAILED'}"
        )
        return {
            "passed": passed,
            "tool": tool,
            "kind": "bw",
            "measured": measured,
            "limit": round(limit, 3),
            "link_rate_gbps": rate,
            "message": message,
        }
    if lat_metric not in LAT_METRICS:
        raise AnsibleFilterError(
            f"perftest_judge: lat_metric must be one of {', '.join(LAT_METRICS)}, got {lat_metric!r}"
        )
    if max_lat_usec is None:
        raise AnsibleFilterError(f"perftest_judge: max_lat_usec is required to judge the {tool} latency")
    limit = _positive("max_lat_usec", max_lat_usec)
    if report.get("units") != "usec":
        raise AnsibleFilterError(
            f"perftest_judge: the {tool} latency is in {report.get('units')!r}, not usec; "
            "run it without -C (--report-cycles)"
        )
    row = report.get("latency") or {}
    if lat_metric not in row:
        available = ", ".join(k for k in LAT_METRICS if k in row) or "none"
        raise AnsibleFilterError(
            f"perftest_judge: the {tool} result has no {lat_metric} (duration runs print only t_avg); "
            f"columns there: {available}"
        )
    measured = row[lat_metric]
    passed = measured <= limit
    message = (
        f"{tool}: {lat_metric} {measured:.2f} usec ({row.get('bytes')}-byte messages) "
        f"{'<=' if passed else '>'} {_fmt(limit)} usec: {'passed' if passed else 'FAILED'}"
    )
    return {"passed": passed, "tool": tool, "kind": "lat", "measured": measured, "limit": limit, "message": message}


class FilterModule:
    def filters(self):
        return {"perftest_judge": perftest_judge}
