# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""ibdev2netdev (MLNX_OFED / mlnx-tools script): `<dev> port 1 ==> <netdev> (Up|Down)`; `-v` adds the
PCI address, `(MT<device id> - <VPD part/serial|NA>)`, the VPD board name (empty for VFs, hence the
double space), `fw <ver>`, the port state padded to 6 columns. Rows follow `ls /sys/class/infiniband`
(alphabetical), so PCI addresses may look unsorted."""

from __future__ import annotations

from .. import state as S


def main(ctx):
    st = ctx.st
    verbose = "-v" in ctx.args
    rows = []
    for nic, f, vf in S.iter_functions(st):
        rows.append((nic, f, vf))
    rows.sort(key=lambda t: (t[2] or t[1])["rdma_dev"])
    for nic, f, vf in rows:
        obj = vf or f
        sc, sn, _pc, _pn = S.port_state(st, f, is_vf=vf is not None)
        up = sc == 4 and vf is None
        link = "Up" if up else "Down"
        if verbose:
            dev_id = nic["vf_device_id"] if vf else nic["device_id"]
            part = "NA" if vf else nic.get("serial", "NA")
            desc = "" if vf else nic.get("vpd_name", "")
            ctx.out(
                "%s %s (MT%d - %s) %s fw %s port 1 (%-6s) ==> %s (%s)\n"
                % (obj["bdf"], obj["rdma_dev"], int(dev_id, 16), part, desc, nic["fw_ver"], sn, obj["netdev"], link)
            )
        else:
            ctx.out("%s port 1 ==> %s (%s)\n" % (obj["rdma_dev"], obj["netdev"], link))
    return 0
