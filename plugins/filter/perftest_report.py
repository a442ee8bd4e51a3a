# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: perftest_report
short_description: Parse the output of a perftest bandwidth or latency test (ib_write_bw, ib_read_lat, ...)
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Reads what C(ib_write_bw), C(ib_read_bw), C(ib_send_bw), C(ib_atomic_bw) and the latency tests
    C(ib_write_lat), C(ib_read_lat), C(ib_send_lat), C(ib_atomic_lat) of linux-rdma/perftest print, and
    returns the result table with bandwidths in Gb/s whatever unit the run used.
  - Bandwidth tables have the columns C(#bytes), C(#iterations), C(BW peak), C(BW average), C(MsgRate)
    in C(MB/sec) (the default, MiB/s) or C(Gb/sec) (C(--report_gbits)); per-port, QoS (C(#sl)) and
    C(CPU_Util) columns are kept too. Latency tables have C(t_min), C(t_max), C(t_typical), C(t_avg),
    C(t_stdev), C(99%), C(99.9%) in C(usec) (or C(cycles) with C(-C)); duration runs (C(-D)) print
    only C(t_avg) and C(tps average).
  - Accepts the quirks of real output - one row (default size) or many (C(-a)), C(Conflicting CPU
    frequency) warnings between the header and the rows or before every row, literal tabs inside
    rows, a trailing space after the header, C(BW peak) C(0.00) in duration
    mode, tabs expanded to spaces, a table without closing dash line, informational lines before and
    after (server banner, C(Connected:), CUDA set-up, C(Total run time)).
  - Fails with the tool's name and the first lines of the output when there is no result table, a
    row does not fit the header, or the output reports an error (C(Completion with error),
    C(Couldn't connect), C(Unable to ...), C(Failed ...)); with O(strict=false) errors are returned
    in RV(_value.errors) instead, with the rows printed before the failure.
positional: tool, strict
options:
  _input:
    description:
      - The output, as a string, a list of lines, or a command result with C(stdout) and C(stderr)
        (M(kubernetes.core.k8s_exec), M(ansible.builtin.command)); both streams are read.
    type: raw
    required: true
  tool:
    description:
      - The perftest program that produced the output (C(ib_write_bw), ...), for error messages and to
        check that the output is of that program. By default it is read from the test title.
    type: str
  strict:
    description: Fail when the output reports an error. With V(false) the errors are returned.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Parse the client side of ib_write_bw
  ansible.builtin.set_fact:
    __bw: "{{ __client_run | rdmaops.fabric.perftest_report('ib_write_bw') }}"
  # __bw.kind == 'bw', __bw.bw_avg_gbps == 381.41, __bw.rows | length == 16, ...

- name: Show the typical latency of the smallest message
  ansible.builtin.debug:
    msg: "{{ (lat_stdout | rdmaops.fabric.perftest_report).latency.t_typical }} usec"
"""

RETURN = r"""
_value:
  description: The parsed result.
  type: dict
  contains:
    tool:
      description: The program (given, or read from the title; V(perftest) when neither says).
      type: str
      sample: ib_write_bw
    kind:
      description: V(bw) or V(lat).
      type: str
    test:
      description: The test title as printed.
      type: str
      sample: RDMA_Write BW Test
    bidirectional:
      description: True for C(-b) runs, whose bandwidth is the sum of both directions.
      type: bool
    duration_mode:
      description: True for C(-D) runs (no peak bandwidth, only the average latency).
      type: bool
    settings:
      description: The C(key - value) lines of the header block, keys lower-cased with underscores.
      type: dict
      sample: {"device": "mlx5_0", "link_type": "IB", "connection_type": "RC", "number_of_qps": "1"}
    units:
      description: Unit of the bandwidth (V(Gb/sec), V(MB/sec)) or latency (V(usec), V(cycles)) columns.
      type: str
    columns:
      description: Keys of the row dictionaries in table order.
      type: list
      elements: str
    rows:
      description:
        - One dictionary per message size, numbers as printed (C(bytes), C(iterations), then
          C(bw_peak), C(bw_average), C(msg_rate_mpps) or C(t_min) ... C(p99), C(p99_9), C(t_avg),
          C(tps_average)).
        - Bandwidth rows also have C(bw_peak_gbps) and C(bw_average_gbps) (MB/sec is MiB/s).
      type: list
      elements: dict
    bw_avg_gbps:
      description: Bandwidth tests - the best average over the message sizes, in Gb/s.
      type: float
    bw_peak_gbps:
      description: Bandwidth tests - the best peak in Gb/s; null in duration mode, which prints 0.00.
      type: float
    best_row:
      description: Bandwidth tests - the row with the best average.
      type: dict
    latency:
      description: Latency tests - the row of the smallest message size.
      type: dict
    warnings:
      description: Warning lines, each once; repeated ones end with C((N times)).
      type: list
      elements: str
    errors:
      description: Error lines (only with O(strict=false); otherwise the filter fails on them).
      type: list
      elements: str
"""

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

# "RDMA_Write BW Test", "Send Bidirectional BW Test", "RDMA_Write Post List BW Test",
# "Atomic FETCH_AND_ADD Latency Test".
TITLE_RE = re.compile(
    r"^\s*(?P<verb>RDMA_Write|RDMA_Read|Send|Atomic)\b(?P<extra>[\w ]*?)\s+(?P<kind>BW|Latency) Test\s*$"
)
VERB_TOOL = {"RDMA_Write": "write", "RDMA_Read": "read", "Send": "send", "Atomic": "atomic"}
# Column names of the result headers (perftest_parameters.h RESULT_FMT*).
COLUMN_RE = re.compile(
    r"#bytes|#sl|#iterations|BW (?:peak|average|Port[12])\[[^\]]+\]|MsgRate(?: Port[12])?\[[^\]]+\]"
    r"|t_(?:min|max|typical|avg|stdev)\[[^\]]+\]|99(?:\.9)?% percentile\[[^\]]+\]|tps average|CPU_Util\[[^\]]*\]"
)
COLUMN_KEYS = {
    "#bytes": "bytes",
    "#sl": "sl",
    "#iterations": "iterations",
    "BW peak": "bw_peak",
    "BW average": "bw_average",
    "MsgRate": "msg_rate_mpps",
    "BW Port1": "bw_port1",
    "BW Port2": "bw_port2",
    "MsgRate Port1": "msg_rate_port1_mpps",
    "MsgRate Port2": "msg_rate_port2_mpps",
    "99% percentile": "p99",
    "99.9% percentile": "p99_9",
    "tps average": "tps_average",
    "CPU_Util": "cpu_util",
}
NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?$")
DASH_RE = re.compile(r"^\s*-{20,}\s*$")
# A "key : value" pair of the header block; two pairs can share a line.
SETTING_RE = re.compile(r"([A-Za-z][^:\t]*?)\s*:\s*(\S+)")
WARNING_RE = re.compile(
    r"^\s*(?:Conflicting CPU frequency values detected|Device not recognized to implement inline feature"
    r"|Perftest doesn't support|Using sampled CPU speed|-W-|WARNING|Warning)"
)
ERROR_RE = re.compile(
    r"(?i)\b(?:completion with error|failed|failure|unable to|couldn't|could not|cannot|can't|error"
    r"|no such device|not found|timed out|invalid)\b"
)
# MB/sec is MiB/s (perftest's format_factor 0x100000); Gb/sec is 10^9 bit/s.
GBPS_PER_UNIT = {"Gb/sec": 1.0, "MB/sec": 1048576 * 8 / 1e9}


def _text(output):
    if isinstance(output, dict):
        if "stdout" not in output and "stdout_lines" not in output:
            raise AnsibleFilterError("perftest_report: a command result needs stdout (and optionally stderr)")
        out = output.get("stdout")
        if out is None:
            out = "\n".join(output.get("stdout_lines") or [])
        return "\n".join(to_text(part) for part in (out, output.get("stderr")) if part)
    if isinstance(output, (list, tuple)):
        return "\n".join(to_text(line) for line in output)
    if isinstance(output, (str, bytes)):
        return to_text(output)
    raise AnsibleFilterError(
        f"perftest_report: input must be the output text, its lines or a command result, not {type(output).__name__}"
    )


def _first_lines(text, count=6):
    lines = [line.rstrip() for line in text.splitlines() if line.strip()][:count]
    return "\n".join(f"  | {line}" for line in lines) if lines else "  (the output is empty)"


def _column_key(name):
    base, unit = [*name.split("[", 1), ""][:2]
    base = base.strip()
    if base in COLUMN_KEYS:
        return COLUMN_KEYS[base], unit.rstrip("]")
    # t_min[usec] -> t_min
    return base, unit.rstrip("]")


def _number(token):
    return int(token) if re.match(r"^-?\d+$", token) else float(token)


def _tool_from_title(match):
    kind = "bw" if match.group("kind") == "BW" else "lat"
    return f"ib_{VERB_TOOL[match.group('verb')]}_{kind}", kind


def parse(text, tool=None):
    """Parse perftest output into a dictionary; errors are collected, not raised."""
    report = {
        "tool": tool,
        "kind": None,
        "test": None,
        "bidirectional": False,
        "duration_mode": False,
        "settings": {},
        "units": None,
        "columns": [],
        "rows": [],
        "warnings": [],
        "errors": [],
    }
    warnings = {}
    bad_rows = []
    in_header_block = False
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        title = TITLE_RE.match(line)
        if title and report["test"] is None:
            report["test"] = stripped
            report["bidirectional"] = "Bidirectional" in title.group("extra")
            inferred, report["kind"] = _tool_from_title(title)
            report["tool"] = tool or inferred
            in_header_block = True
            continue
        if WARNING_RE.match(line):
            key = stripped
            if key.startswith("Conflicting CPU frequency"):
                key = "Conflicting CPU frequency values detected. CPU Frequency is not max."
            warnings[key] = warnings.get(key, 0) + 1
            continue
        if DASH_RE.match(line):
            in_header_block = False
            continue
        if stripped.startswith("#bytes"):
            columns = COLUMN_RE.findall(stripped)
            keys, units = zip(*(_column_key(c) for c in columns)) if columns else ((), ())
            report["columns"] = list(keys)
            report["units"] = next((u for k, u in zip(keys, units) if u and not k.startswith("msg_rate")), None)
            if "tps_average" in keys:
                report["duration_mode"] = True
            if report["kind"] is None:
                report["kind"] = "bw" if "bw_average" in keys else "lat"
            in_header_block = False
            continue
        tokens = stripped.split()
        if report["columns"] and all(NUMBER_RE.match(t) for t in tokens) and re.match(r"^\d+$", tokens[0]):
            if len(tokens) != len(report["columns"]):
                bad_rows.append(f"{stripped!r} has {len(tokens)} values for {len(report['columns'])} columns")
                continue
            report["rows"].append(dict(zip(report["columns"], (_number(t) for t in tokens))))
            continue
        if in_header_block and ":" in line:
            for key, value in SETTING_RE.findall(line):
                report["settings"][re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")] = value
            continue
        if ERROR_RE.search(line):
            report["errors"].append(stripped)
    if tool and report["kind"] and not tool.endswith(f"_{report['kind']}"):
        what = "bandwidth" if report["kind"] == "bw" else "latency"
        raise AnsibleFilterError(
            f"perftest_report: the output is of a {what} test "
            f"({report['test'] or 'by its result header'}), not of {tool}"
        )
    report["warnings"] = [k if n == 1 else f"{k} ({n} times)" for k, n in warnings.items()]
    report["errors"].extend(f"unparseable result row: {row}" for row in bad_rows)
    if report["tool"] is None:
        report["tool"] = "perftest"
    _summarise(report)
    return report


def _summarise(report):
    rows = report["rows"]
    if report["kind"] == "bw":
        factor = GBPS_PER_UNIT.get(report["units"])
        for row in rows:
            for key in ("bw_peak", "bw_average"):
                if key in row:
                    row[f"{key}_gbps"] = round(row[key] * factor, 3) if factor is not None else None
        # Duration runs print a peak of 0.00: there is no peak, not a zero one.
        peaks = [r.get("bw_peak_gbps") for r in rows if r.get("bw_peak_gbps")]
        best = max(rows, key=lambda r: r.get("bw_average_gbps") or 0) if rows else None
        report["best_row"] = best
        report["bw_avg_gbps"] = best.get("bw_average_gbps") if best else None
        report["bw_peak_gbps"] = max(peaks) if peaks else None
        if rows and not peaks:
            report["duration_mode"] = True
    elif report["kind"] == "lat":
        report["latency"] = min(rows, key=lambda r: r["bytes"]) if rows else None


def perftest_report(output, tool=None, strict=True):
    """The result table and settings of a perftest run; fails on unusable output."""
    if tool is not None and not re.match(r"^ib_(write|read|send|atomic)_(bw|lat)$", str(tool)):
        raise AnsibleFilterError(
            f"perftest_report: tool must be one of ib_{{write,read,send,atomic}}_{{bw,lat}}, not {tool!r}"
        )
    text = _text(output)
    report = parse(text, tool)
    name = report["tool"]
    if strict and report["errors"]:
        raise AnsibleFilterError(
            f"perftest_report: {name} reported an error after {len(report['rows'])} result rows: "
            + "; ".join(report["errors"])
            + f"\nfirst lines of the output:\n{_first_lines(text)}"
        )
    if not report["columns"]:
        raise AnsibleFilterError(
            f"perftest_report: no result table (a '#bytes ...' header) in the {name} output; the server side of "
            f"a latency test prints none, and a run that could not start prints only its settings. "
            f"First lines of the output:\n{_first_lines(text)}"
        )
    if not report["rows"]:
        raise AnsibleFilterError(
            f"perftest_report: the {name} output has a result header but no result row. "
            f"First lines of the output:\n{_first_lines(text)}"
        )
    return report


class FilterModule:
    def filters(self):
        return {"perftest_report": perftest_report}
