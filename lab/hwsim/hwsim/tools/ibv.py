# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""ibv_devices and ibv_devinfo (rdma-core 44 libibverbs/examples/device_list.c, devinfo.c)."""

from __future__ import annotations

from .. import state as S
from ..sysfs import gid_full, gid_v2

# Device attributes mlx5 reports (ConnectX-6 Dx values from a published `ibv_devinfo -v`; the
# simulated cards all use them, only vendor_part_id / fw / GUIDs / ports differ).
ATTRS = {
    "max_mr_size": 0xFFFFFFFFFFFFFFFF,
    "page_size_cap": 0xFFFFFFFFFFFFF000,
    "max_qp": 131072,
    "max_qp_wr": 32768,
    "device_cap_flags": 0xED721C36,
    "max_sge": 30,
    "max_sge_rd": 30,
    "max_cq": 16777216,
    "max_cqe": 4194303,
    "max_mr": 16777216,
    "max_pd": 8388608,
    "max_qp_rd_atom": 16,
    "max_ee_rd_atom": 0,
    "max_res_rd_atom": 2097152,
    "max_qp_init_rd_atom": 16,
    "max_ee_init_rd_atom": 0,
    "atomic_cap": 1,
    "max_ee": 0,
    "max_rdd": 0,
    "max_mw": 16777216,
    "max_raw_ipv6_qp": 0,
    "max_raw_ethy_qp": 0,
    "max_mcast_grp": 2097152,
    "max_mcast_qp_attach": 240,
    "max_total_mcast_qp_attach": 503316480,
    "max_ah": 2147483647,
    "max_fmr": 0,
    "max_srq": 8388608,
    "max_srq_wr": 32767,
    "max_srq_sge": 31,
    "max_pkeys": 128,
    "local_ca_ack_delay": 16,
    "general_odp_caps": 0x3,
    "rc_odp_caps": 0x2F,
    "uc_odp_caps": 0x0,
    "ud_odp_caps": 0x1,
    "xrc_odp_caps": 0x2D,
    "completion_timestamp_mask": 0x7FFFFFFFFFFFFFFF,
    "hca_core_clock": 1000000,
    "raw_packet_caps": 0xF,
    "device_cap_flags_ex": 0x15ED721C36,
    "max_tso": 262144,
    "max_rwq_indirection_tables": 524288,
    "max_rwq_indirection_table_size": 2048,
    "rx_hash_function": 0x1,
    "rx_hash_fields_mask": 0x800000FF,
    "max_wq_type_rq": 8388608,
    "qp_rate_limit_min": 1,
    "qp_rate_limit_max": 100000000,
    "max_cq_count": 65535,
    "max_cq_period": 4095,
    "max_dm_size": 131072,
    "num_comp_vectors": 48,
}

DEV_CAP_FLAGS = [
    (1, "RESIZE_MAX_WR"),
    (1 << 1, "BAD_PKEY_CNTR"),
    (1 << 2, "BAD_QKEY_CNTR"),
    (1 << 3, "RAW_MULTI"),
    (1 << 4, "AUTO_PATH_MIG"),
    (1 << 5, "CHANGE_PHY_PORT"),
    (1 << 6, "UD_AV_PORT_ENFORCE"),
    (1 << 7, "CURR_QP_STATE_MOD"),
    (1 << 8, "SHUTDOWN_PORT"),
    (1 << 9, "INIT_TYPE"),
    (1 << 10, "PORT_ACTIVE_EVENT"),
    (1 << 11, "SYS_IMAGE_GUID"),
    (1 << 12, "RC_RNR_NAK_GEN"),
    (1 << 13, "SRQ_RESIZE"),
    (1 << 14, "N_NOTIFY_CQ"),
    (1 << 17, "MEM_WINDOW"),
    (1 << 18, "UD_IP_CSUM"),
    (1 << 20, "XRC"),
    (1 << 21, "MEM_MGT_EXTENSIONS"),
    (1 << 23, "MEM_WINDOW_TYPE_2A"),
    (1 << 24, "MEM_WINDOW_TYPE_2B"),
    (1 << 25, "RC_IP_CSUM"),
    (1 << 26, "RAW_IP_CSUM"),
    (1 << 29, "MANAGED_FLOW_STEERING"),
]
ODP_TRANS = [
    (1, "SUPPORT_SEND"),
    (2, "SUPPORT_RECV"),
    (4, "SUPPORT_WRITE"),
    (8, "SUPPORT_READ"),
    (16, "SUPPORT_ATOMIC"),
    (32, "SUPPORT_SRQ"),
]
PORT_STATE = {1: "PORT_DOWN", 2: "PORT_INIT", 3: "PORT_ARMED", 4: "PORT_ACTIVE"}
PHYS = {
    1: "SLEEP",
    2: "POLLING",
    3: "DISABLED",
    4: "PORT_CONFIGURATION TRAINNING",
    5: "LINK_UP",
    6: "LINK_ERROR_RECOVERY",
    7: "PHY TEST",
}
WIDTH_CODE = {"1X": 1, "4X": 2, "8X": 4, "12X": 8, "2X": 16}
WIDTH_TXT = {1: "1", 2: "4", 4: "8", 8: "12", 16: "2"}
MTU = {1: "256", 2: "512", 3: "1024", 4: "2048", 5: "4096"}


def _devices(st):
    out = list(S.iter_functions(st))
    out.sort(key=lambda t: (t[2] or t[1])["rdma_index"])
    if "ib_uverbs" not in st["runtime"].get("loaded_modules", []):
        return []
    return out


def main_devices(ctx):
    st = ctx.st
    ctx.out("    %-16s\t   node GUID\n" % "device")
    ctx.out("    %-16s\t----------------\n" % "------")
    for _nic, f, vf in _devices(st):
        obj = vf or f
        ctx.out("    %-16s\t%s\n" % (obj["rdma_dev"], obj["node_guid"]))
    return 0


def _flags(value, table, unknown_mask_bits=32):
    out = []
    known = 0
    for bit, name in table:
        known |= bit
        if value & bit:
            out.append("\t\t\t\t\t%s\n" % name)
    unknown = value & ~known & ((1 << unknown_mask_bits) - 1)
    if unknown:
        out.append("\t\t\t\t\tUnknown flags: 0x%X\n" % unknown)
    return out


def _odp_trans(v):
    if not v:
        return ["\t\t\t\t\tNO SUPPORT\n"]
    return _flags(v, ODP_TRANS)


def _verbose_dev(a):
    o = []
    o.append("\tmax_mr_size:\t\t\t0x%x\n" % a["max_mr_size"])
    o.append("\tpage_size_cap:\t\t\t0x%x\n" % a["page_size_cap"])
    o.append("\tmax_qp:\t\t\t\t%d\n" % a["max_qp"])
    o.append("\tmax_qp_wr:\t\t\t%d\n" % a["max_qp_wr"])
    o.append("\tdevice_cap_flags:\t\t0x%08x\n" % a["device_cap_flags"])
    o.extend(_flags(a["device_cap_flags"], DEV_CAP_FLAGS))
    for k, tabs in (
        ("max_sge", 3),
        ("max_sge_rd", 3),
        ("max_cq", 4),
        ("max_cqe", 3),
        ("max_mr", 4),
        ("max_pd", 4),
        ("max_qp_rd_atom", 3),
        ("max_ee_rd_atom", 3),
        ("max_res_rd_atom", 2),
        ("max_qp_init_rd_atom", 2),
        ("max_ee_init_rd_atom", 2),
    ):
        o.append("\t%s:%s%d\n" % (k, "\t" * tabs, a[k]))
    o.append(
        "\tatomic_cap:\t\t\t%s (%d)\n"
        % (["ATOMIC_NONE", "ATOMIC_HCA", "ATOMIC_GLOB"][a["atomic_cap"]], a["atomic_cap"])
    )
    for k, tabs in (
        ("max_ee", 4),
        ("max_rdd", 3),
        ("max_mw", 4),
        ("max_raw_ipv6_qp", 2),
        ("max_raw_ethy_qp", 2),
        ("max_mcast_grp", 3),
        ("max_mcast_qp_attach", 2),
        ("max_total_mcast_qp_attach", 1),
        ("max_ah", 4),
        ("max_fmr", 3),
        ("max_srq", 3),
    ):
        o.append("\t%s:%s%d\n" % (k, "\t" * tabs, a[k]))
    if a["max_srq"]:
        o.append("\tmax_srq_wr:\t\t\t%d\n" % a["max_srq_wr"])
        o.append("\tmax_srq_sge:\t\t\t%d\n" % a["max_srq_sge"])
    o.append("\tmax_pkeys:\t\t\t%d\n" % a["max_pkeys"])
    o.append("\tlocal_ca_ack_delay:\t\t%d\n" % a["local_ca_ack_delay"])
    o.append("\tgeneral_odp_caps:\n")
    o.extend(_flags(a["general_odp_caps"], [(1, "ODP_SUPPORT"), (2, "ODP_SUPPORT_IMPLICIT")]))
    for k in ("rc", "uc", "ud", "xrc"):
        o.append("\t%s_odp_caps:\n" % k)
        o.extend(_odp_trans(a["%s_odp_caps" % k]))
    o.append("\tcompletion timestamp_mask:\t\t\t0x%016x\n" % a["completion_timestamp_mask"])
    o.append("\thca_core_clock:\t\t\t%dkHZ\n" % a["hca_core_clock"])
    o.append("\traw packet caps:\n")
    o.extend(
        n
        for b, n in (
            (1, "\t\t\t\t\tC-VLAN stripping offload\n"),
            (2, "\t\t\t\t\tScatter FCS offload\n"),
            (4, "\t\t\t\t\tIP csum offload\n"),
            (8, "\t\t\t\t\tDelay drop\n"),
        )
        if a["raw_packet_caps"] & b
    )
    o.append("\tdevice_cap_flags_ex:\t\t0x%X\n" % a["device_cap_flags_ex"])
    ex = a["device_cap_flags_ex"] & 0xFFFFFFFF00000000
    if ex & (1 << 34):
        o.append("\t\t\t\t\tRAW_SCATTER_FCS\n")
    if ex & (1 << 36):
        o.append("\t\t\t\t\tPCI_WRITE_END_PADDING\n")
    unk = ex & ~((1 << 34) | (1 << 36))
    if unk:
        o.append("\t\t\t\t\tUnknown flags: 0x%X\n" % unk)
    o.append("\ttso_caps:\n")
    o.append("\t\tmax_tso:\t\t\t%d\n" % a["max_tso"])
    o.append("\t\tsupported_qp:\n\t\t\t\t\tSUPPORT_RAW_PACKET\n")
    o.append("\trss_caps:\n")
    o.append("\t\tmax_rwq_indirection_tables:\t\t\t%u\n" % a["max_rwq_indirection_tables"])
    o.append("\t\tmax_rwq_indirection_table_size:\t\t\t%u\n" % a["max_rwq_indirection_table_size"])
    o.append("\t\trx_hash_function:\t\t\t\t0x%x\n" % a["rx_hash_function"])
    o.append("\t\trx_hash_fields_mask:\t\t\t\t0x%X\n" % a["rx_hash_fields_mask"])
    o.append("\t\tsupported_qp:\n\t\t\t\t\tSUPPORT_RAW_PACKET\n")
    o.append("\tmax_wq_type_rq:\t\t\t%u\n" % a["max_wq_type_rq"])
    o.append("\tpacket_pacing_caps:\n")
    o.append("\t\tqp_rate_limit_min:\t%ukbps\n" % a["qp_rate_limit_min"])
    o.append("\t\tqp_rate_limit_max:\t%ukbps\n" % a["qp_rate_limit_max"])
    o.append("\t\tsupported_qp:\n\t\t\t\t\tSUPPORT_RAW_PACKET\n")
    o.append("\ttag matching not supported\n")
    o.append("\n\tcq moderation caps:\n")
    o.append("\t\tmax_cq_count:\t%u\n" % a["max_cq_count"])
    o.append("\t\tmax_cq_period:\t%u us\n\n" % a["max_cq_period"])
    o.append("\tmaximum available device memory:\t%uBytes\n\n" % a["max_dm_size"])
    o.append("\tnum_comp_vectors:\t\t%d\n" % a["num_comp_vectors"])
    return o


def _port(st, nic, f, vf, verbose):
    obj = vf or f
    ib = f["link_layer"] == "InfiniBand"
    sc, _sn, pc, _pn = S.port_state(st, f, is_vf=vf is not None)
    lid, sm_lid = S.port_lids(st, f if vf is None else dict(vf, link_layer=f["link_layer"]), is_vf=vf is not None)
    if not ib:
        lid, sm_lid = 0, 0
    active_mtu = 5 if ib else 3
    o = ["\t\tport:\t1\n"]
    o.append("\t\t\tstate:\t\t\t%s (%d)\n" % (PORT_STATE.get(sc, "invalid state"), sc))
    o.append("\t\t\tmax_mtu:\t\t%s (%d)\n" % (MTU[5], 5))
    o.append("\t\t\tactive_mtu:\t\t%s (%d)\n" % (MTU[active_mtu], active_mtu))
    o.append("\t\t\tsm_lid:\t\t\t%d\n" % sm_lid)
    o.append("\t\t\tport_lid:\t\t%d\n" % lid)
    o.append("\t\t\tport_lmc:\t\t0x%02x\n" % 0)
    o.append("\t\t\tlink_layer:\t\t%s\n" % f["link_layer"])
    if verbose:
        wcode = WIDTH_CODE.get(f["width"], 2)
        speed = S.RATES.get(f["speed"], S.RATES["EDR"])
        o.append("\t\t\tmax_msg_sz:\t\t0x%x\n" % 0x40000000)
        o.append("\t\t\tport_cap_flags:\t\t0x%08x\n" % (0x2651E848 if ib else 0x04010000))
        o.append("\t\t\tport_cap_flags2:\t0x%04x\n" % (0x32 if ib else 0))
        o.append("\t\t\tmax_vl_num:\t\t%s\n" % ("4 (3)" if ib else "invalid value (0)"))
        o.append("\t\t\tbad_pkey_cntr:\t\t0x0\n")
        o.append("\t\t\tqkey_viol_cntr:\t\t0x0\n")
        o.append("\t\t\tsm_sl:\t\t\t0\n")
        o.append("\t\t\tpkey_tbl_len:\t\t%d\n" % (128 if ib else 1))
        o.append("\t\t\tgid_tbl_len:\t\t%d\n" % (8 if ib else 255))
        o.append("\t\t\tsubnet_timeout:\t\t%d\n" % (18 if ib and sm_lid else 0))
        o.append("\t\t\tinit_type_reply:\t0\n")
        o.append("\t\t\tactive_width:\t\t%sX (%d)\n" % (WIDTH_TXT[wcode], wcode))
        o.append("\t\t\tactive_speed:\t\t%s (%d)\n" % (speed[1], speed[2]))
        o.append("\t\t\tphys_state:\t\t%s (%d)\n" % (PHYS.get(pc, "invalid physical state"), pc))
        guid = obj["port_guid"]
        if guid != "0" * 16:
            if ib:
                o.append("\t\t\tGID[%3d]:\t\t%s\n" % (0, gid_full(guid)))
            else:
                o.append("\t\t\tGID[%3d]:\t\t%s, RoCE v1\n" % (0, gid_full(guid)))
                o.append("\t\t\tGID[%3d]:\t\t%s, RoCE v2\n" % (1, gid_v2(guid)))
    o.append("\n")
    return o


def _hca(st, nic, f, vf, verbose, port):
    obj = vf or f
    dev_id = nic["vf_device_id"] if vf else nic["device_id"]
    o = ["hca_id:\t%s\n" % obj["rdma_dev"]]
    o.append("\ttransport:\t\t\t%s (%d)\n" % ("InfiniBand", 0))
    o.append("\tfw_ver:\t\t\t\t%s\n" % nic["fw_ver"])
    o.append("\tnode_guid:\t\t\t%s\n" % S.guid_colon(obj["node_guid"]))
    o.append("\tsys_image_guid:\t\t\t%s\n" % S.guid_colon(obj["sys_image_guid"]))
    o.append("\tvendor_id:\t\t\t0x%04x\n" % 0x02C9)
    o.append("\tvendor_part_id:\t\t\t%d\n" % int(dev_id, 16))
    o.append("\thw_ver:\t\t\t\t0x%X\n" % int(nic.get("hw_rev", "0x0"), 16))
    o.append("\tboard_id:\t\t\t%s\n" % nic["psid"])
    o.append("\tphys_port_cnt:\t\t\t%d\n" % 1)
    if verbose:
        o.extend(_verbose_dev(ATTRS))
    if not port or port == 1:
        o.extend(_port(st, nic, f, vf, verbose))
    return o


def _usage(ctx, prog):
    ctx.out("Usage: %s             print the ca attributes\n\n" % prog)
    ctx.out("Options:\n")
    ctx.out("  -d, --ib-dev=<dev>     use IB device <dev> (default first device found)\n")
    ctx.out("  -i, --ib-port=<port>   use port <port> of IB device (default all ports)\n")
    ctx.out("  -l, --list             print only the IB devices names\n")
    ctx.out("  -v, --verbose          print all the attributes of the IB device(s)\n")


def main_devinfo(ctx):
    st = ctx.st
    args = list(ctx.args)
    dev = None
    port = 0
    verbose = False
    i = 0
    while i < len(args):
        a = args[i]
        val = None
        if a.startswith("--ib-dev="):
            a, val = "-d", a.split("=", 1)[1]
        elif a.startswith("--ib-port="):
            a, val = "-i", a.split("=", 1)[1]
        elif a.startswith("-d") and len(a) > 2:
            a, val = "-d", a[2:]
        elif a.startswith("-i") and len(a) > 2:
            a, val = "-i", a[2:]
        if a in ("-d", "--ib-dev", "-i", "--ib-port"):
            if val is None:
                if i + 1 >= len(args):
                    _usage(ctx, "ibv_devinfo")
                    return 255
                val = args[i + 1]
                i += 1
            if a in ("-d", "--ib-dev"):
                dev = val
            else:
                try:
                    port = int(val, 0)
                except ValueError:
                    port = 0
                if port <= 0:
                    _usage(ctx, "ibv_devinfo")
                    return 1
        elif a in ("-v", "--verbose"):
            verbose = True
        elif a in ("-l", "--list"):
            devs = _devices(st)
            ctx.out("%d HCA%s found:\n" % (len(devs), "" if len(devs) == 1 else "s"))
            for _nic, f, vf in devs:
                ctx.out("\t%s\n" % (vf or f)["rdma_dev"])
            ctx.out("\n")
            return 0
        else:
            _usage(ctx, "ibv_devinfo")
            return 255
        i += 1
    devs = _devices(st)
    if dev is not None:
        sel = [t for t in devs if (t[2] or t[1])["rdma_dev"] == dev]
        if not sel:
            ctx.err("IB device '%s' wasn't found\n" % dev)
            return 255
        devs = sel
    elif not devs:
        ctx.err("No IB devices found\n")
        return 255
    rc = 0
    for nic, f, vf in devs:
        if port > 1:
            ctx.err("Invalid port requested for device\n")
            rc |= 4
            continue
        ctx.out("".join(_hca(st, nic, f, vf, verbose, port)))
    return rc
