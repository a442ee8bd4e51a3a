# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rdmaops.fabric.perftest_report and perftest_judge over real perftest outputs (tests/fixtures/samples/perftest)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.rdmaops.fabric.plugins.filter import perftest_judge as judge_plugin
from ansible_collections.rdmaops.fabric.plugins.filter import perftest_report as report_plugin
from ansible_collections.rdmaops.fabric.plugins.filter.perftest_judge import link_rate_gbps, perftest_judge
from ansible_collections.rdmaops.fabric.plugins.filter.perftest_report import perftest_report
from sample_io import SAMPLES_DIR, sample

CPU_FREQ = "Conflicting CPU frequency values detected. CPU Frequency is not max."

# Every good sample: what the filter must read from it.
GOOD = {
    "ib-write-bw-a-mbytes-cpufreq-ib-01.txt": {
        "tool": "ib_write_bw",
        "kind": "bw",
        "units": "MB/sec",
        "rows": 23,
        "device": "mlx5_0",
        "link_type": "IB",
        # 23317.65 MiB/s (the 2 MiB row is the best average: 23324.61) in Gb/s.
        "bw_avg_gbps": 195.661,
        "bw_peak_gbps": 195.697,
        "best_bytes": 2097152,
        "warnings": [f"{CPU_FREQ} (23 times)"],
    },
    "ib-send-bw-a-gbits-roce-cx4lx-01.txt": {
        "tool": "ib_send_bw",
        "kind": "bw",
        "units": "Gb/sec",
        "rows": 23,
        "device": "mlx5_0",
        "link_type": "Ethernet",
        "bw_avg_gbps": 23.15,
        "bw_peak_gbps": 23.41,
        "best_bytes": 524288,
        "warnings": [],
    },
    "ib-write-bw-a-gbits-cuda-dmabuf-01.txt": {
        "tool": "ib_write_bw",
        "kind": "bw",
        "units": "Gb/sec",
        "rows": 23,
        "device": "mlx5_3",
        "link_type": "Ethernet",
        "bw_avg_gbps": 140.95,
        "bw_peak_gbps": 140.96,
        "best_bytes": 131072,
        "warnings": ["Perftest doesn't supports CUDA tests with inline messages: inline size set to 0"],
    },
    "ib-write-bw-bidir-a-gbits-server-01.txt": {
        "tool": "ib_write_bw",
        "kind": "bw",
        "units": "Gb/sec",
        "rows": 23,
        "device": "ionic_7",
        "link_type": "Ethernet",
        "bidirectional": True,
        "bw_avg_gbps": 779.21,
        "bw_peak_gbps": 779.21,
        "best_bytes": 8388608,
        "warnings": [],
    },
    "ib-write-bw-duration-mbytes-rdmacm-roce-01.txt": {
        "tool": "ib_write_bw",
        "kind": "bw",
        "units": "MB/sec",
        "rows": 1,
        "device": "mlx5_0",
        "link_type": "Ethernet",
        "duration_mode": True,
        "bw_avg_gbps": 86.589,
        "bw_peak_gbps": None,
        "best_bytes": 65536,
        "warnings": [CPU_FREQ],
    },
    "ib-send-bw-duration-mbytes-rdmacm-roce-01.txt": {
        "tool": "ib_send_bw",
        "kind": "bw",
        "units": "MB/sec",
        "rows": 1,
        "device": "mlx5_2",
        "link_type": "Ethernet",
        "duration_mode": True,
        "bw_avg_gbps": 98.265,
        "bw_peak_gbps": None,
        "best_bytes": 65536,
        "warnings": [],
    },
    "ib-read-bw-mbytes-inline-warning-rxe-01.txt": {
        "tool": "ib_read_bw",
        "kind": "bw",
        "units": "MB/sec",
        "rows": 1,
        "device": "rxe0",
        "link_type": "Ethernet",
        "bw_avg_gbps": 1.107,
        "bw_peak_gbps": 1.112,
        "best_bytes": 65536,
        "warnings": ["Device not recognized to implement inline feature. Disabling it"],
    },
    "ib-read-lat-mlx4-cpufreq-ib-01.txt": {
        "tool": "ib_read_lat",
        "kind": "lat",
        "units": "usec",
        "rows": 1,
        "device": "mlx4_0",
        "link_type": "IB",
        "latency": {
            "bytes": 2,
            "iterations": 1000,
            "t_min": 1.76,
            "t_max": 6.12,
            "t_typical": 1.79,
            "t_avg": 1.8,
            "t_stdev": 0.06,
            "p99": 1.88,
            "p99_9": 6.12,
        },
        "warnings": [CPU_FREQ],
    },
    "ib-write-lat-rdmacm-cpufreq-roce-01.txt": {
        "tool": "ib_write_lat",
        "kind": "lat",
        "units": "usec",
        "rows": 1,
        "device": "mlx5_0",
        "link_type": "Ethernet",
        "latency": {
            "bytes": 2,
            "iterations": 1000,
            "t_min": 0.76,
            "t_max": 0.95,
            "t_typical": 0.78,
            "t_avg": 0.78,
            "t_stdev": 0.01,
            "p99": 0.83,
            "p99_9": 0.95,
        },
        "warnings": [f"{CPU_FREQ} (2 times)"],
    },
    "ib-read-lat-duration-rdmacm-roce-01.txt": {
        "tool": "ib_read_lat",
        "kind": "lat",
        "units": "usec",
        "rows": 1,
        "device": "mlx5_0",
        "link_type": "Ethernet",
        "duration_mode": True,
        "latency": {"bytes": 2, "iterations": 62078352, "t_avg": 2.42, "tps_average": 413812.77},
        "warnings": [f"{CPU_FREQ} (2 times)"],
    },
    "ib-send-lat-rxe-01.txt": {
        "tool": "ib_send_lat",
        "kind": "lat",
        "units": "usec",
        "rows": 1,
        "device": "rxe0",
        "link_type": "Ethernet",
        "latency": {
            "bytes": 2,
            "iterations": 1000,
            "t_min": 16.55,
            "t_max": 59.5,
            "t_typical": 21.27,
            "t_avg": 21.69,
            "t_stdev": 2.18,
            "p99": 31.37,
            "p99_9": 59.5,
        },
        "warnings": [],
    },
    "ib-send-lat-a-mlx4-ib-01.txt": {
        "tool": "ib_send_lat",
        "kind": "lat",
        "units": "usec",
        "rows": 23,
        "device": "mlx4_0",
        "link_type": "IB",
        "latency": {
            "bytes": 2,
            "iterations": 1000,
            "t_min": 0.92,
            "t_max": 4.89,
            "t_typical": 0.97,
            "t_avg": 1.01,
            "t_stdev": 0.25,
            "p99": 1.92,
            "p99_9": 4.89,
        },
        "warnings": [],
    },
}

# Real outputs the filter must refuse, and what the message must say.
BAD = {
    "ib-write-bw-a-gbits-roce-pod-completion-error-01.txt": [
        "ib_write_bw reported an error after 16 result rows",
        "Completion with error at client",
        "Failed status 10: wr_id 0 syndrom 0x88",
        "Failed to complete run_iter_bw function successfully",
        "first lines of the output",
        "RDMA_Write BW Test",
    ],
    "ib-read-lat-server-no-results-mlx4-ib-01.txt": [
        "no result table",
        "ib_read_lat output",
        "* Waiting for client to connect... *",
    ],
}


def test_every_perftest_sample_is_covered():
    names = {p.name for p in (SAMPLES_DIR / "perftest").glob("*.txt")}
    assert names == set(GOOD) | set(BAD)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_sample(name):
    want = GOOD[name]
    got = perftest_report(sample(f"perftest/{name}"))
    assert got["tool"] == want["tool"]
    assert got["kind"] == want["kind"]
    assert got["units"] == want["units"]
    assert len(got["rows"]) == want["rows"]
    assert got["settings"]["device"] == want["device"]
    assert got["settings"]["link_type"] == want["link_type"]
    assert got["bidirectional"] is want.get("bidirectional", False)
    assert got["duration_mode"] is want.get("duration_mode", False)
    assert got["warnings"] == want["warnings"]
    assert got["errors"] == []
    # Message sizes in the order printed, all different.
    sizes = [row["bytes"] for row in got["rows"]]
    assert sizes == sorted(set(sizes))
    if want["kind"] == "bw":
        assert got["bw_avg_gbps"] == pytest.approx(want["bw_avg_gbps"], abs=0.001)
        assert got["bw_peak_gbps"] == (
            None if want["bw_peak_gbps"] is None else pytest.approx(want["bw_peak_gbps"], abs=0.001)
        )
        assert got["best_row"]["bytes"] == want["best_bytes"]
        assert set(got["columns"]) == {"bytes", "iterations", "bw_peak", "bw_average", "msg_rate_mpps"}
    else:
        assert {k: got["latency"][k] for k in want["latency"]} == want["latency"]
        assert got["latency"]["bytes"] == sizes[0]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_sample(name):
    with pytest.raises(AnsibleFilterError) as err:
        perftest_report(sample(f"perftest/{name}"))
    for text in BAD[name]:
        assert text in str(err.value)


def test_tool_given_names_the_tool_and_must_match_the_kind():
    text = sample("perftest/ib-read-lat-server-no-results-mlx4-ib-01.txt")
    with pytest.raises(AnsibleFilterError, match="in the ib_read_lat output"):
        perftest_report(text, "ib_read_lat")
    bw = sample("perftest/ib-write-bw-a-mbytes-cpufreq-ib-01.txt")
    with pytest.raises(AnsibleFilterError, match=r"bandwidth test \(RDMA_Write BW Test\), not of ib_read_lat"):
        perftest_report(bw, "ib_read_lat")
    with pytest.raises(AnsibleFilterError, match="tool must be one of"):
        perftest_report(bw, "iperf3")
    # The title is only a name: ib_write_bw given for an ib_send_bw output is still a bandwidth test.
    assert perftest_report(bw, "ib_write_bw")["tool"] == "ib_write_bw"


def test_units_in_mb_are_mebibytes():
    got = perftest_report(sample("perftest/ib-write-bw-a-mbytes-cpufreq-ib-01.txt"))
    last = got["rows"][-1]
    assert (last["bytes"], last["iterations"], last["bw_peak"], last["bw_average"], last["msg_rate_mpps"]) == (
        8388608,
        5000,
        23326.82,
        23317.65,
        0.002915,
    )
    assert last["bw_average_gbps"] == pytest.approx(23317.65 * 1048576 * 8 / 1e9, abs=0.001)


def test_command_result_reads_stdout_and_stderr():
    # perftest prints its result table on stdout and failures on stderr.
    lines = sample("perftest/ib-write-bw-a-gbits-roce-pod-completion-error-01.txt").splitlines()
    failures = [line for line in lines if "ail" in line or "error" in line]
    stdout = "\n".join(line for line in lines if line not in failures)
    assert perftest_report({"stdout": stdout, "stderr": ""})["bw_avg_gbps"] == 381.41
    with pytest.raises(AnsibleFilterError, match="Completion with error at client"):
        perftest_report({"stdout": stdout, "stderr": "\n".join(failures), "rc": 1})
    assert perftest_report({"stdout_lines": stdout.splitlines()})["rows"][0]["bytes"] == 2
    assert len(perftest_report(stdout.splitlines())["rows"]) == 16
    with pytest.raises(AnsibleFilterError, match="needs stdout"):
        perftest_report({"rc": 0})
    with pytest.raises(AnsibleFilterError, match="not int"):
        perftest_report(42)


def test_not_strict_returns_the_rows_before_the_failure():
    got = perftest_report(sample("perftest/ib-write-bw-a-gbits-roce-pod-completion-error-01.txt"), strict=False)
    assert len(got["rows"]) == 16
    assert got["bw_avg_gbps"] == 381.41
    assert got["errors"] == [
        "Completion with error at client",
        "Failed status 10: wr_id 0 syndrom 0x88",
        "Failed to complete run_iter_bw function successfully",
    ]


def test_empty_output_and_header_without_rows():
    with pytest.raises(AnsibleFilterError, match=r"no result table .*\n  \(the output is empty\)"):
        perftest_report("")
    text = sample("perftest/ib-send-lat-rxe-01.txt")
    cut = text[: text.index(" 2       1000")]
    with pytest.raises(AnsibleFilterError, match="has a result header but no result row"):
        perftest_report(cut)


def test_row_that_does_not_fit_the_header():
    text = sample("perftest/ib-send-lat-rxe-01.txt").replace("2.18    31.37            59.50", "2.18    31.37")
    with pytest.raises(AnsibleFilterError, match=r"unparseable result row: .* has 8 values for 9 columns"):
        perftest_report(text)


def test_header_block_settings():
    got = perftest_report(sample("perftest/ib-write-bw-bidir-a-gbits-server-01.txt"))
    settings = got["settings"]
    assert settings["number_of_qps"] == "4"
    assert settings["cpu_freq"] == "3295[MHz]"
    assert settings["cqe_poll_batch"] == "16"
    assert settings["rdma_cm_qps"] == "OFF"
    assert got["test"] == "RDMA_Write Bidirectional BW Test"


# --- perftest_judge -------------------------------------------------------------------------


def report(name):
    return perftest_report(sample(f"perftest/{name}"))


@pytest.mark.parametrize(
    "rate, gbps",
    [
        ("200 Gb/sec (4X HDR)", 200.0),
        ("25 Gb/sec (1X EDR)", 25.0),
        ("2.5 Gb/sec (1X SDR)", 2.5),
        ("Rate: 100", 100.0),
        ("56", 56.0),
        (56, 56.0),
        (400.0, 400.0),
        ("100000Mb/s", 100.0),
        ("400 Gbps", 400.0),
        ("200 Gb/sec (4X HDR)\n", 200.0),
    ],
)
def test_link_rate(rate, gbps):
    assert link_rate_gbps(rate) == gbps


@pytest.mark.parametrize("rate", ["fast", "", "200 Gb/sec 4X HDR", "-5", 0, None, True, "0 Gb/sec"])
def test_link_rate_refused(rate):
    with pytest.raises(AnsibleFilterError, match=r"link_rate|link rate"):
        link_rate_gbps(rate)


@pytest.mark.parametrize(
    "name, rate, fraction, passed, limit",
    [
        # ConnectX-6 HDR: 195.66 Gb/s of 200.
        ("ib-write-bw-a-mbytes-cpufreq-ib-01.txt", "200 Gb/sec (4X HDR)", 0.8, True, 160.0),
        ("ib-write-bw-a-mbytes-cpufreq-ib-01.txt", "200 Gb/sec (4X HDR)", 0.99, False, 198.0),
        # ConnectX-4 Lx 25GbE RoCE (ibstatus of the same host: 25 Gb/sec (1X EDR)): 23.15 Gb/s.
        ("ib-send-bw-a-gbits-roce-cx4lx-01.txt", "25 Gb/sec (1X EDR)", 0.9, True, 22.5),
        ("ib-send-bw-a-gbits-roce-cx4lx-01.txt", "25 Gb/sec (1X EDR)", 0.95, False, 23.75),
        # Bidirectional 400G: 779.21 Gb/s is both directions together.
        ("ib-write-bw-bidir-a-gbits-server-01.txt", 400, 0.9, True, 720.0),
        ("ib-write-bw-bidir-a-gbits-server-01.txt", 400, 0.99, False, 792.0),
        # Soft-RoCE on a VM: 1.1 Gb/s of a 10 Gb/s virtual link.
        ("ib-read-bw-mbytes-inline-warning-rxe-01.txt", "10", 0.5, False, 5.0),
    ],
)
def test_judge_bandwidth(name, rate, fraction, passed, limit):
    got = perftest_judge(report(name), rate, fraction)
    assert got["passed"] is passed
    assert got["kind"] == "bw"
    assert got["limit"] == pytest.approx(limit)
    assert got["message"].endswith("passed" if passed else "FAILED")
    assert f"{got['measured']:.2f} Gb/s average" in got["message"]


def test_judge_bandwidth_message():
    got = perftest_judge(report("ib-write-bw-bidir-a-gbits-server-01.txt"), "400 Gb/sec (4X NDR)", 0.9)
    assert got["message"] == (
        "ib_write_bw: 779.21 Gb/s average (8388608-byte messages) >= 720.00 Gb/s = "
        "0.9 x 400 Gb/s link rate x 2 directions: passed"
    )
    assert got["link_rate_gbps"] == 400.0


@pytest.mark.parametrize(
    "name, limit, metric, passed, measured",
    [
        ("ib-read-lat-mlx4-cpufreq-ib-01.txt", 2, "t_avg", True, 1.8),
        ("ib-read-lat-mlx4-cpufreq-ib-01.txt", 1.5, "t_avg", False, 1.8),
        ("ib-read-lat-mlx4-cpufreq-ib-01.txt", 5, "p99_9", False, 6.12),
        ("ib-write-lat-rdmacm-cpufreq-roce-01.txt", 1, "t_typical", True, 0.78),
        ("ib-read-lat-duration-rdmacm-roce-01.txt", 2, "t_avg", False, 2.42),
        # The smallest message of an -a table is judged, not the 8 MiB one.
        ("ib-send-lat-a-mlx4-ib-01.txt", 3, "t_avg", True, 1.01),
        ("ib-send-lat-rxe-01.txt", 5, "t_avg", False, 21.69),
    ],
)
def test_judge_latency(name, limit, metric, passed, measured):
    got = perftest_judge(report(name), max_lat_usec=limit, lat_metric=metric)
    assert (got["passed"], got["measured"], got["kind"]) == (passed, measured, "lat")
    assert got["message"].startswith(f"{got['tool']}: {metric} {measured:.2f} usec (2-byte messages)")


def test_judge_refuses_what_it_cannot_judge():
    bw = report("ib-write-bw-a-mbytes-cpufreq-ib-01.txt")
    lat = report("ib-read-lat-duration-rdmacm-roce-01.txt")
    cases = [
        (lambda: perftest_judge({"rows": []}, 200, 0.8), "input must be a result"),
        (lambda: perftest_judge("text", 200, 0.8), "input must be a result"),
        (lambda: perftest_judge(bw, 200), "min_bw_fraction is required"),
        (lambda: perftest_judge(bw, None, 0.8), "link_rate is required"),
        (lambda: perftest_judge(bw, 200, 0), "min_bw_fraction must be above 0 and at most 1"),
        (lambda: perftest_judge(bw, 200, 1.5), "min_bw_fraction must be above 0 and at most 1"),
        (lambda: perftest_judge(bw, 200, "most"), "min_bw_fraction must be a number"),
        (lambda: perftest_judge(dict(bw, bw_avg_gbps=None, units="kb/s"), 200, 0.8), "no bandwidth in a known unit"),
        (lambda: perftest_judge(lat), "max_lat_usec is required"),
        (lambda: perftest_judge(lat, max_lat_usec=-1), "max_lat_usec must be above 0"),
        (lambda: perftest_judge(lat, max_lat_usec=5, lat_metric="median"), "lat_metric must be one of"),
        (lambda: perftest_judge(lat, max_lat_usec=5, lat_metric="t_typical"), "no t_typical .* columns there: t_avg"),
        (lambda: perftest_judge(dict(lat, units="cycles"), max_lat_usec=5), "latency is in 'cycles', not usec"),
    ]
    for call, message in cases:
        with pytest.raises(AnsibleFilterError, match=message):
            call()


def test_filter_modules():
    assert report_plugin.FilterModule().filters() == {"perftest_report": perftest_report}
    assert judge_plugin.FilterModule().filters() == {"perftest_judge": perftest_judge}


def test_table_without_title():
    # Scripts often keep only the tail of the output (`| tail -3`): the header says the kind.
    tail = "\n".join(sample("perftest/ib-send-lat-rxe-01.txt").splitlines()[-3:])
    got = perftest_report(tail)
    assert (got["tool"], got["kind"], got["test"], got["latency"]["t_avg"]) == ("perftest", "lat", None, 21.69)
    with pytest.raises(AnsibleFilterError, match=r"latency test \(by its result header\), not of ib_write_bw"):
        perftest_report(tail, "ib_write_bw")
    bw_tail = "\n".join(sample("perftest/ib-read-bw-mbytes-inline-warning-rxe-01.txt").splitlines()[-3:])
    assert perftest_report(bw_tail, "ib_read_bw")["kind"] == "bw"
