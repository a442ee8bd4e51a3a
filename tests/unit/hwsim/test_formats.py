# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each hwsim tool's output has the structure of the closest real sample (tests/fixtures/samples):
same header lines, same column layout, same line shapes. Values (GUIDs, names) differ by design."""

from __future__ import annotations

import re

import pytest
from sample_io import sample


def value_class(v):
    if re.match(r"^(True|False)\([01]\)$", v):
        return "bool"
    if re.match(r"^_\w+\(\d+\)$", v):
        return "enum_underscore"
    if re.match(r"^[a-z]\w*\(\d+\)$", v):
        return "enum_lowercase"
    if re.match(r"^[A-Z]\w*\(\d+\)$", v):
        return "enum"
    if re.match(r"^\d+$", v):
        return "int"
    if re.match(r"^Array\[\d+\.\.\d+\]$", v):
        return "array"
    return "other"


OLD_ROW = re.compile(r"^(?P<mark>[ *]) {8}(?P<name>[A-Za-z0-9_\[\]]+) +(?P<vals>\S.*?) *$")


def rows_after_header(text):
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("Configurations:"))
    out = []
    for line in lines[i + 1 :]:
        if not line or line[0] not in " *":
            break
        out.append(line)
    return lines[i], out


def label_value_col(lines, label):
    line = next(x for x in lines if x.startswith(label))
    return len(line) - len(line[len(label) :].lstrip(" ")), line


# --------------------------------------------------------------------------- mlxconfig / mstconfig
def test_mstconfig_query_has_the_old_mft_layout_of_the_cx5_sample(hw):
    hw.init("cx5ex-roce")
    ours = hw.out("mstconfig", "-d", "af:00.0", "q")
    ref = sample("mlxconfig-query-cx5-01.txt")
    o, r = ours.splitlines(), ref.splitlines()
    assert o[:4] == r[:4] == ["", "Device #1:", "----------", ""]
    for label in ("Device type:", "Name:", "Description:", "Device:"):
        assert label_value_col(o, label)[0] == label_value_col(r, label)[0] == 16
    # short values are padded to 16 with trailing spaces in both
    assert label_value_col(o, "Device type:")[1] == "Device type:    ConnectX5       "
    assert label_value_col(r, "Device type:")[1] == "Device type:    ConnectX5       "
    oh, orows = rows_after_header(ours)
    rh, rrows = rows_after_header(ref)
    assert oh == rh == "Configurations:                              Next Boot"
    assert o[o.index(oh) - 1] == "" and r[r.index(rh) - 1] == ""
    classes_o, classes_r = set(), set()
    for rows, classes in ((orows, classes_o), (rrows, classes_r)):
        for line in rows:
            m = OLD_ROW.match(line)
            assert m, line
            assert m.group("mark") == " "
            val = m.group("vals")
            assert line.index(val, 9 + len(m.group("name"))) == 45
            classes.add(value_class(val))
            if len(val) > 16:
                assert line.endswith(val)  # an over-long enum fills its cell: no padding
    assert classes_r <= classes_o, classes_r - classes_o
    # every row of ours is padded to a full 16-column cell, as most rows of the sample are
    assert all(len(x) == 61 for x in orows if len(OLD_ROW.match(x).group("vals")) <= 16)
    assert sum(len(x) == 61 for x in rrows) >= len(rrows) - 2


def test_mlxconfig_default_layout_is_the_newer_mft_one(hw):
    hw.init("cx7-ib")
    ours = hw.out("mlxconfig", "-d", "/dev/mst/mt4129_pciconf0", "q", rc=3)
    assert ours.strip() == "-E- Failed to open the device"  # /dev/mst needs `mst start`
    hw.run("mst", "start")
    ours = hw.out("mlxconfig", "-d", "/dev/mst/mt4129_pciconf0", "q")
    o = ours.splitlines()
    assert o[:4] == ["", "Device #1:", "----------", ""]
    col, line = label_value_col(o, "Device type:")
    assert col == 20 and line == "Device type:        ConnectX7           "  # README: 20-col labels
    assert label_value_col(o, "Device:")[1].startswith("Device:             /dev/mst/mt4129_pciconf0")
    header, rows = rows_after_header(ours)
    assert header.index("Next Boot") == 52
    for line in rows:
        m = re.match(r"^ {3} {5}(?P<name>\S+) +(?P<val>\S+) *$", line)
        assert m, line
        assert line.index(m.group("val"), 8 + len(m.group("name"))) == 52  # 8-space indent, 44-col names


def test_mstconfig_e_query_has_the_layout_of_the_e_cx4_fixture(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mstconfig", "-d", "3b:00.0", "-y", "set", "KEEP_IB_LINK_UP_P2=0", "MEMIC_SIZE_LIMIT=DISABLED")
    ours = hw.out(
        "mstconfig",
        "-d",
        "3b:00.0",
        "-e",
        "q",
        "KEEP_IB_LINK_UP_P2",
        "KEEP_LINK_UP_ON_BOOT_P2",
        "ESWITCH_HAIRPIN_DESCRIPTORS",
        "MEMIC_SIZE_LIMIT",
    )
    ref = sample("mlxconfig-query-e-cx4-fixture-01.txt")
    oh, orows = rows_after_header(ours)
    rh, rrows = rows_after_header(ref)
    assert oh == rh
    assert [r[0] for r in orows] == [r[0] for r in rrows] == ["*", " ", " ", "*"]
    for rows in (orows, rrows):
        for line in rows:
            vals = line[45:].split()
            assert len(vals) == 3
            for v, col in zip(vals, (45, 61, 77), strict=True):
                assert line.index(v, col) == col
    trailer = "The '*' shows parameters with next value different from default/current value."
    assert ours.splitlines()[-1] == ref.splitlines()[-1] == trailer
    assert [value_class(x) for x in orows[2][45:].split()] == ["array"] * 3


def test_mstflint_422_e_layout_matches_the_cx5_excerpt(hw):
    hw.init("cx5ex-roce", "--mstconfig-layout", "mstflint-4.22")
    names = [
        "NUM_OF_PFC_P2",
        "VL15_BUFFER_SIZE_P2",
        "DUP_MAC_ACTION_P1",
        "MPFS_MC_LOOPBACK_DISABLE_P1",
        "SRIOV_IB_ROUTING_MODE_P1",
        "IB_ROUTING_MODE_P2",
    ]
    ours = hw.out("mstconfig", "-d", "af:00.0", "-e", "q", *names)
    _h, orows = rows_after_header(ours)
    rrows = [x for x in sample("mlxconfig-query-e-cx5-excerpt-01.txt").splitlines() if x.strip()]
    by_name = {x.split()[0]: x for x in rrows}
    for line in orows:
        name = line.split()[0]
        ref = by_name[name]
        assert line.rstrip() == ref.rstrip(), (line, ref)  # same defaults, same columns (53, 69, 85)


@pytest.mark.parametrize(
    "ref_name,tool", [("mstconfig-set-cx5-01.txt", "mstconfig"), ("mlxconfig-set-cx5-01.txt", "mlxconfig")]
)
def test_set_output_has_the_confirmation_lines_of_the_samples(hw, ref_name, tool):
    hw.init("cx5ex-roce", "--mlxconfig-layout", "mstflint-4.21")
    ours = hw.out(tool, "-d", "af:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=8")
    ref = sample(ref_name)
    o, r = ours.splitlines(), ref.splitlines()
    assert o[:4] == r[:4]
    assert (
        o[-4:]
        == r[-4:]
        == [
            "",
            " Apply new Configuration? (y/n) [n] : y",
            "Applying... Done!",
            "-I- Please reboot machine to load new configurations.",
        ]
    )
    oh, orows = rows_after_header(ours)
    rh, rrows = rows_after_header(ref)
    assert oh == rh == "Configurations:                              Next Boot       New"
    assert len(orows) == 2
    for line in orows + rrows:
        m = OLD_ROW.match(line)
        assert m and len(m.group("vals").split()) == 2, line
    assert [x.split()[0] for x in orows] == ["SRIOV_EN", "NUM_OF_VFS"]
    assert orows[0].split()[1:] == ["True(1)", "True(1)"]


def test_set_over_maximum_fails_like_the_fixture(hw):
    hw.init("cx5ex-roce")
    p = hw.run("mlxconfig", "-d", "af:00.0", "-y", "set", "NUM_OF_VFS=65535", rc=3)
    ref = sample("mlxconfig-set-error-maxvfs-fixture-01.txt").splitlines()
    o = p.stdout.splitlines()
    assert o[-3:] == ref[-3:]
    assert o[-4] == ""  # askUser prints "\n " before the question
    _h, rows = rows_after_header(p.stdout)
    assert rows[0].split() == ["NUM_OF_VFS", "4", "65535"] == ref[-4].split()
    assert hw.param("NUM_OF_VFS")["next"] == 4  # nothing written


def test_unknown_device_error_matches_mstconfig_sample(hw):
    hw.init("cx6-vpi-ib")
    p = hw.run("mstconfig", "-e", "-d", "0000:3b:00.7", "q", rc=3)
    assert p.stdout == sample("mstconfig-error-open-01.txt")
    assert p.stderr == ""


def test_mstconfig_head_matches_cx6dx_sample_shape(hw):
    hw.init("bf2-dpu")
    o = hw.out("mstconfig", "-d", "03:00.1", "q").splitlines()[:8]
    r = sample("mstconfig-query-cx6dx-head-01.txt").splitlines()
    assert len(o) == len(r) == 8
    assert o[:4] == r[:4]
    for a, b in zip(o[4:], r[4:], strict=True):
        label = b.split(":")[0] + ":"
        assert a.startswith(label)
        assert a[:16].rstrip() == b[:16].rstrip() == label and a[16] != " " and b[16] != " "
    assert o[7] == "Device:         03:00.1         "
    assert o[4].startswith("Device type:    BlueField2")


# --------------------------------------------------------------------------- mst
def test_mst_start_is_the_sample(hw):
    hw.init("cx5ex-roce")
    assert hw.out("mst", "start") == sample("mst-start-01.txt")


def test_mst_status_has_the_sample_shape(hw):
    hw.init("cx5ex-roce")
    hw.run("mst", "start")
    o = hw.out("mst", "status").splitlines()
    r = sample("mst-status-cx5-01.txt").splitlines()
    assert o[: len(r) - 3] == r[: len(r) - 3]  # modules block, blank, MST devices header
    dev = [x for x in o if x.startswith("/dev/mst/")]
    assert len(dev) == 1  # dual-port card: only the function-0 device, as in the sample
    i = o.index(dev[0])
    for a, b in zip(o[i : i + 3], r[-3:], strict=True):
        assert re.sub(r"\S+", "X", a) == re.sub(r"\S+", "X", b)
    assert o[i] == "/dev/mst/mt4121_pciconf0         - PCI configuration cycles access."
    assert o[i + 1] == (
        "                                   domain:bus:dev.fn=0000:af:00.0 addr.reg=88 data.reg=92 cr_bar.gw_offset=-1"
    )


def test_mst_status_bad_option_is_the_sample(hw):
    hw.init("cx5ex-roce")
    hw.run("mst", "start")
    p = hw.run("mst", "status", "--v", rc=1)
    assert p.stdout == sample("mst-status-v-cx5-01.txt")


def test_mst_status_v_table(hw):
    hw.init("bf2-dpu")
    hw.run("mst", "start")
    o = hw.out("mst", "status", "-v").splitlines()
    hdr = o.index("PCI devices:")
    assert o[hdr + 2] == (
        "DEVICE_TYPE             MST                           PCI       RDMA            NET"
        "                                     NUMA  "
    )
    rows = [x for x in o[hdr + 3 :] if x]
    assert rows[0].startswith("BlueField2(rev:1)       /dev/mst/mt49873_pciconf0.2   03:00.2")
    assert rows[1].startswith(
        "BlueField2(rev:1)       /dev/mst/mt41686_pciconf0.1   03:00.1   mlx5_1          net-enp3s0f1np1"
    )
    assert o[hdr + 4] == ""  # a blank line after every row


# --------------------------------------------------------------------------- rdma
@pytest.mark.parametrize(
    "flavour,ref", [("5.3", "rdma-system-01.txt"), ("6.1", "rdma-system-03.txt"), ("6.7", "rdma-system-04.txt")]
)
def test_rdma_system_is_the_sample_of_that_iproute2(hw, flavour, ref):
    hw.init("cx6-vpi-ib", "--iproute2", flavour)
    assert hw.out("rdma", "system") == sample(ref)
    assert hw.out("rdma", "sys", "show") == sample(ref)


def test_rdma_system_newest_has_the_key_order_of_the_sample(hw):
    hw.init("cx7-ib")
    ours = hw.out("rdma", "system").split()
    ref = sample("rdma-system-06.txt").split()
    assert ours[0::2] == ref[0::2] == ["netns", "privileged-qkey", "monitor", "copy-on-fork"]


LINK_RE = re.compile(
    r"^link (?P<dev>[^/\s]+)/(?P<port>\d+) (subnet_prefix [0-9a-f:]{19} lid \d+ sm_lid \d+ lmc \d+ )?"
    r"state [A-Z_]+ physical_state [A-Z_]+( netdev \S+)? ?$"
)


def test_rdma_link_lines_have_the_sample_shape(hw, any_profile):
    hw.init(any_profile)
    for text in (hw.out("rdma", "link"), sample("rdma-link-01.txt")):
        lines = text.splitlines()
        assert lines
        for line in lines:
            assert LINK_RE.match(line), line


def test_rdma_dev_lines_have_the_sample_shape(hw, any_profile):
    hw.init(any_profile)
    rx = re.compile(
        r"^\d+: \S+: node_type ca fw \S+ node_guid [0-9a-f]{4}(:[0-9a-f]{4}){3} "
        r"sys_image_guid [0-9a-f]{4}(:[0-9a-f]{4}){3} ?$"
    )
    for text in (hw.out("rdma", "dev"), sample("rdma-dev-show-01.txt")):
        for line in text.splitlines():
            assert rx.match(line), line


# --------------------------------------------------------------------------- infiniband-diags / verbs
def ibstat_keys(text):
    return [re.sub(r":.*", ":", x) for x in text.splitlines()]


def test_ibstat_roce_has_the_lines_of_the_roce_sample(hw):
    hw.init("cx5ex-roce")
    ours = hw.out("ibstat", "mlx5_0")
    ref = sample("ibstat-roce-cx4lx-01.txt")
    assert ibstat_keys(ours) == ibstat_keys(ref)
    o = ours.splitlines()
    assert o[0] == "CA 'mlx5_0'" and o[1] == "\tCA type: MT4121"
    assert "\t\tLink layer: Ethernet" in o and "\t\tBase lid: 0" in o
    assert re.search(r"\t\tPort GUID: 0x[0-9a-f]{6}fffe[0-9a-f]{6}\n", ours)  # from the MAC, as in the sample


def test_ibstat_ib_has_the_lines_of_the_ib_sample(hw):
    hw.init("cx6-vpi-ib", "--sm", "off")
    ours = hw.out("ibstat", "mlx5_0")
    ref = sample("ibstat-ib-01.txt")
    assert [k for k in ibstat_keys(ours) if k != "\tCA type:"] == ibstat_keys(ref)  # the sample is older
    o = ours.splitlines()
    for line in (
        "\t\tState: Initializing",
        "\t\tBase lid: 65535",
        "\t\tSM lid: 0",
        "\t\tLink layer: InfiniBand",
        "\t\tCapability mask: 0x2651e848",
    ):
        assert line in o and line in ref.splitlines()


def test_ibstat_multi_ca_not_blank_separated(hw):
    hw.init("cx6-vpi-ib")
    o = hw.out("ibstat").splitlines()
    assert "" not in o
    assert [x for x in o if x.startswith("CA '")] == ["CA 'mlx5_0'", "CA 'mlx5_1'"]


def test_ibv_devices_is_the_sample_layout(hw):
    hw.init("cx6-vpi-ib")
    o = hw.out("ibv_devices").splitlines()
    r = sample("ibv-devices-mlx5-01.txt").splitlines()
    assert o[:2] == r[:2]
    rx = re.compile(r"^    \S+ *\t[0-9a-f]{16}$")
    for line in o[2:] + r[2:]:
        assert rx.match(line) and line.index("\t") == 20, line


def devinfo_layout(text):
    """(label, value column) per line after tab expansion; values blanked."""
    out = []
    for line in text.expandtabs(8).splitlines():
        m = re.match(r"^(\s*)([^:]+:)(\s*)(.*)$", line)
        if not m or not m.group(4):
            out.append(line.rstrip())
            continue
        out.append((m.group(1) + m.group(2), len(m.group(1) + m.group(2) + m.group(3))))
    return out


def test_ibv_devinfo_has_the_layout_of_the_sample(hw):
    hw.init("cx5ex-roce")
    ours = hw.out("ibv_devinfo", "-d", "mlx5_0")
    ref = sample("ibv-devinfo-mlx4-eth-01.txt")
    o = devinfo_layout(ours)
    r = devinfo_layout(ref)
    # same labels at the same columns for the device block and one port block (the sample has 2 ports)
    port_at = r.index(("                port:", 24))
    assert o[: port_at + 9] == r[: port_at + 9]
    assert ours.endswith("\n\n")  # every port block ends with a blank line


def test_ibv_devinfo_v_has_the_labels_of_the_cx6dx_sample(hw):
    hw.init("bf2-dpu")
    ours = hw.out("ibv_devinfo", "-d", "mlx5_0", "-v")
    ref = sample("ibv-devinfo-v-cx6dx-01.txt")

    def labels(text):
        out = []
        for line in text.expandtabs(8).splitlines():
            s = line.strip()
            if not s or s.startswith("GID["):
                continue
            out.append((len(line) - len(line.lstrip()), s.split(":")[0] if ":" in s else s))
        return out

    assert labels(ours) == labels(ref)
    assert devinfo_layout(ours)[:12] == devinfo_layout(ref)[:12]
    gids = [x for x in ours.splitlines() if "GID[" in x]
    assert gids[0].endswith(", RoCE v1") and gids[1].endswith(", RoCE v2")
    assert re.search(r"GID\[  1\]:\t\tfe80::[0-9a-f:]+, RoCE v2", ours)  # v2 compressed, as in the sample
    assert "\t\t\t\t\tUnknown flags: 0xC8400000\n" in ours


# --------------------------------------------------------------------------- ibdev2netdev / ofed_info / lspci
def test_ibdev2netdev_plain(hw):
    hw.init("cx5ex-roce")
    rx = re.compile(r"^\S+ port \d+ ==> \S+ \((Up|Down)\)$")
    for text in (hw.out("ibdev2netdev"), sample("ibdev2netdev-eth-01.txt"), sample("ibdev2netdev-ib-01.txt")):
        for line in text.splitlines():
            assert rx.match(line), line


def test_ibdev2netdev_v_with_vfs_has_the_sample_shape(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=4")
    hw.run("hwsim", "boot")
    hw.run("hwsim", "vfs", "mlx5_0", "4")
    ours = hw.out("ibdev2netdev", "-v")
    pf = re.compile(
        r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d \S+ \(MT\d+ - [A-Z0-9]+\) \S.* fw \S+ port \d+ "
        r"\((ACTIVE|DOWN  |INIT  )\) ==> \S+ \((Up|Down)\)$"
    )
    vf = re.compile(
        r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.\d \S+ \(MT\d+ - NA\)  fw \S+ port \d+ "
        r"\(DOWN  \) ==> \S+ \(Down\)$"
    )
    for text in (ours, sample("ibdev2netdev-v-ib-01.txt"), sample("ibdev2netdev-v-eth-01.txt")):
        kinds = []
        for line in text.splitlines():
            kinds.append("vf" if vf.match(line) else "pf" if pf.match(line) else line)
        assert set(kinds) == {"pf", "vf"}, kinds
    assert ours.count("(MT4124 - NA)  fw") == 4


def test_ofed_info_s(private_hw):
    hw = private_hw
    hw.init("cx6-vpi-ib")
    assert not (hw.bin / "ofed_info").exists()  # inbox drivers: no ofed_info on the host
    assert hw.run("ofed_info", "-s", rc=127).stdout == ""
    hw.run("hwsim", "driver", "install", "--name", "OFED-internal", "--version", "25.10-1.7.1")
    assert hw.out("ofed_info", "-s") == sample("ofed-info-s-03.txt")
    hw.run("hwsim", "driver", "install", "--version", "23.07-0.5.1.2")
    assert hw.out("ofed_info", "-s") == sample("ofed-info-s-01.txt")
    assert hw.out("ofed_info", "-n") == "23.07-0.5.1.2\n"
    hw.run("hwsim", "driver", "remove")
    assert not (hw.bin / "ofed_info").exists()


def test_lspci_lines(hw):
    hw.init("cx5ex-roce")
    hw.run("hwsim", "vfs", "af:00.0", "2")
    plain = re.compile(
        r"^[0-9a-f]{2}:[0-9a-f]{2}\.\d (Ethernet|Infiniband) controller: Mellanox Technologies "
        r"\S.*\[ConnectX-\S+( Ex)?( Virtual Function)?\]$"
    )
    for text in (hw.out("lspci"), sample("lspci-grep-mellanox-01.txt"), sample("lspci-grep-mellanox-05.txt")):
        for line in text.splitlines():
            assert plain.match(line), line
    nn = re.compile(
        r"^[0-9a-f]{2}:[0-9a-f]{2}\.\d Ethernet controller \[0200\]: Mellanox Technologies "
        r".*\[ConnectX-5( Ex)?\] \[15b3:101[79]\]$"
    )
    ours = hw.out("lspci", "-nn", "-d", "15b3:1019")
    assert len(ours.splitlines()) == 2
    for text in (ours, sample("lspci-nn-grep-mellanox-01.txt")):
        for line in text.splitlines():
            assert nn.match(line), line


def test_lspci_vvv_sriov_block(hw):
    hw.init("cx6-vpi-ib")
    hw.run("mlxconfig", "-d", "3b:00.0", "-y", "set", "SRIOV_EN=1", "NUM_OF_VFS=16")
    hw.run("hwsim", "boot")
    ours = hw.out("lspci", "-vvv", "-s", "3b:00.0")
    ref = sample("lspci-vvv-sriov-cx-02.txt")
    for key in (
        "Single Root I/O Virtualization (SR-IOV)",
        "Initial VFs: 16, Total VFs: 16, Number of VFs: 0",
        "VF offset: 2, stride: 1, Device ID: 101",
        "Kernel driver in use: mlx5_core",
        "Kernel modules: mlx5_core",
    ):
        assert key in ours and key in ref, key


def test_sysfs_totalvfs_is_one_number(hw):
    hw.init("cx5ex-roce")
    text = (hw.sysfs / "class/net/enp175s0f0np0/device/sriov_totalvfs").read_text()
    ref = sample("sysfs-sriov-totalvfs-01.txt").splitlines()[1]
    assert re.match(r"^\d+\n$", text) and re.match(r"^\d+$", ref)
    assert text == "4\n"  # follows the firmware's NUM_OF_VFS, like the sample
