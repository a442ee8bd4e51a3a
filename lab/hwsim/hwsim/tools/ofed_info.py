# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""ofed_info (MLNX_OFED / DOCA-OFED): present only while the state has a driver stack installed
(`hwsim driver install`). -s: `<NAME>-<VERSION>:`; -n: `<VERSION>`; no option: a short listing."""

from __future__ import annotations


def main(ctx):
    ds = ctx.st.get("driver_stack")
    if not ds:
        ctx.err("ofed_info: command not found\n")
        return 127
    name = ds.get("name", "MLNX_OFED_LINUX")
    ver = ds.get("version", "23.07-0.5.1.2")
    args = ctx.args
    if "-s" in args:
        ctx.out("%s-%s:\n" % (name, ver))
        return 0
    if "-n" in args:
        ctx.out("%s\n" % ver)
        return 0
    base = ver.split("-")[0]
    ctx.out("%s-%s (OFED-%s):\n\n" % (name, ver, ver))
    for pkg in ds.get("packages") or ["mlnx-ofa_kernel", "rdma-core", "mstflint", "perftest", "opensm"]:
        ctx.out("%s:\nmlnx_ofed_%s/%s-%s.src.rpm\n\n" % (pkg, pkg, pkg, base))
    ctx.out("Installed Packages:\n-------------------\n")
    for pkg in ds.get("packages") or ["mlnx-ofa_kernel", "rdma-core", "mstflint", "perftest", "opensm"]:
        ctx.out("%s\n" % pkg)
    return 0
