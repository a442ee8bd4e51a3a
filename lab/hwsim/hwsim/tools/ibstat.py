# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""ibstat (infiniband-diags 44): ibstat [-l|-s|-p] [CA [PORT]].

Follows infiniband-diags/ibstat.c: TAB indented, decimal LIDs, `Rate: 2.5` for 1X SDR, multi-CA output
not separated by blank lines. Unknown CA: `ibpanic: [pid] main: 'X' IB device can't be found: ...`,
exit status 255.
"""

from __future__ import annotations

import os

from .. import state as S

STATE = {1: "Down", 2: "Initializing", 3: "Armed", 4: "Active"}
PHYS = {
    0: "No state change",
    1: "Sleep",
    2: "Polling",
    3: "Disabled",
    4: "PortConfigurationTraining",
    5: "LinkUp",
    6: "LinkErrorRecovery",
    7: "PhyTest",
}


def _cas(st):
    out = []
    for nic, f, vf in S.iter_functions(st):
        out.append((nic, f, vf))
    out.sort(key=lambda t: (t[2] or t[1])["rdma_dev"])
    return out


def _hw_ver(nic):
    hv = nic.get("hw_rev", "0x0")
    try:
        return "%x" % int(hv, 16)
    except ValueError:
        return hv


def _port_lines(st, nic, f, vf, pre):
    obj = vf or f
    sc, _sn, pc, _pn = S.port_state(st, f, is_vf=vf is not None)
    lid, sm_lid = S.port_lids(st, f if vf is None else dict(vf, link_layer=f["link_layer"]), is_vf=vf is not None)
    rate = S.port_rate(f)
    out = []
    out.append("%sState: %s\n" % (pre, STATE.get(sc, "???")))
    out.append("%sPhysical state: %s\n" % (pre, PHYS.get(pc, "???")))
    out.append("%sRate: %s\n" % (pre, "2.5" if rate == 2.5 else int(rate)))
    out.append("%sBase lid: %d\n" % (pre, lid))
    out.append("%sLMC: 0\n" % pre)
    out.append("%sSM lid: %d\n" % (pre, sm_lid))
    cap = 0x2651E848 if f["link_layer"] == "InfiniBand" else 0x04010000
    out.append("%sCapability mask: 0x%08x\n" % (pre, cap))
    out.append("%sPort GUID: 0x%s\n" % (pre, obj["port_guid"]))
    out.append("%sLink layer: %s\n" % (pre, f["link_layer"]))
    return out


def _ca_dump(nic, f, vf):
    obj = vf or f
    dev_id = nic["vf_device_id"] if vf else nic["device_id"]
    return [
        "CA '%s'\n" % obj["rdma_dev"],
        "\tCA type: MT%d\n" % int(dev_id, 16),
        "\tNumber of ports: 1\n",
        "\tFirmware version: %s\n" % nic["fw_ver"],
        "\tHardware version: %s\n" % _hw_ver(nic),
        "\tNode GUID: 0x%s\n" % obj["node_guid"],
        "\tSystem image GUID: 0x%s\n" % obj["sys_image_guid"],
    ]


def main(ctx):
    st = ctx.st
    list_only = short = ports = False
    pos = []
    for a in ctx.args:
        if a in ("-l", "--list_of_cas"):
            list_only = True
        elif a in ("-s", "--short"):
            short = True
        elif a in ("-p", "--port_list"):
            ports = True
        elif a in ("-h", "--help"):
            ctx.err("Usage: ibstat [options] <ca_name> [portnum]\n")
            return 0
        elif a.startswith("-"):
            continue
        else:
            pos.append(a)
    cas = _cas(st)
    if pos:
        sel = [t for t in cas if (t[2] or t[1])["rdma_dev"] == pos[0]]
        if not sel:
            ctx.err(
                "ibpanic: [%d] main: '%s' IB device can't be found: No such file or directory\n" % (os.getpid(), pos[0])
            )
            return 255
        cas = sel
    if ports:
        for _nic, f, vf in cas:
            ctx.out("0x%s\n" % (vf or f)["port_guid"])
        return 0
    for nic, f, vf in cas:
        obj = vf or f
        if list_only:
            ctx.out("%s\n" % obj["rdma_dev"])
            continue
        if len(pos) > 1:
            try:
                portnum = int(pos[1], 0)
            except ValueError:
                portnum = 0
            if portnum != 1:
                ctx.err(
                    "ibwarn: [%d] ca_stat: CA: '%s' has no port number %d - max (1)\n"
                    % (os.getpid(), obj["rdma_dev"], portnum)
                )
                ctx.err(
                    "ibpanic: [%d] main: stat of IB device '%s' failed: No such file or directory\n"
                    % (os.getpid(), obj["rdma_dev"])
                )
                return 255
            ctx.out("CA: '%s'\n" % obj["rdma_dev"])
            ctx.out("Port 1:\n")
            ctx.out("".join(_port_lines(st, nic, f, vf, "")))
            continue
        ctx.out("".join(_ca_dump(nic, f, vf)))
        if short:
            continue
        ctx.out("\tPort 1:\n")
        ctx.out("".join(_port_lines(st, nic, f, vf, "\t\t")))
    return 0
