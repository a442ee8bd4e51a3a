# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Create SR-IOV VFs and apply their settings; installed by rdmaops.fabric.sriov_firmware.

Run at boot by the role's systemd unit (after the driver, before kubelet) and by the role itself,
so that both do exactly the same thing:

    python3 rdmaops-sriov-vfs.py [--config FILE|- | --config-json JSON] [--check] apply
    python3 rdmaops-sriov-vfs.py [--config FILE|- | --config-json JSON] [--check] destroy

The configuration is JSON (FILE, stdin with ``-``, or the text itself with --config-json)::

    {"sysfs_root": "/sys", "timeout": 60,
     "pfs": [{"pci": "0000:3b:00.0", "num_vfs": 8,
              "guids": [["02:..", "02:.."], ...] or null,     # IB: node and port GUID per VF
              "trust": null|true|false, "spoofchk": null|true|false,
              "link_state": null|"auto"|"enable"|"disable"}]}

apply: for each PF, wait for its driver, make sriov_numvfs match (writing 0 first when a nonzero
count changes, as the kernel requires), wait for the VFs, then set VF GUIDs / trust / spoof check /
link state through ``ip link`` where they differ, and re-bind the VFs whose GUIDs changed so that
their ports come up with them. destroy: sriov_numvfs 0 on every PF.
Prints one JSON object: {"changed": bool, "actions": [...], "pfs": [...]}; exit status 1 with
{"failed": true, "msg": ...} on an error. --check reports what would change and changes nothing.
Standard library only; runs on Python 3.6 and later.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

VF_LINE = re.compile(r"^\s*vf (\d+)\b(.*)$")


class VfError(Exception):
    """A failure with a message for the operator."""


def read(path, default=None):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return default


def write(path, value):
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(str(value) + "\n")
    except OSError as exc:
        raise VfError(f"writing {value} to {path} failed: {exc.strerror or exc}") from exc


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise VfError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def run(argv):
    env = dict(os.environ, LC_ALL="C", LANGUAGE="C")
    proc = subprocess.run(argv, capture_output=True, env=env, check=False)
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise VfError(f"{' '.join(argv)} failed (rc {proc.returncode}): {(err or out).strip()}")
    return out


def parse_vf_lines(text):
    """VF settings from `ip -d link show dev PF`: {index: {node_guid, port_guid, spoofchk, trust, link_state}}."""
    vfs = {}
    for line in text.splitlines():
        match = VF_LINE.match(line)
        if not match:
            continue
        rest = match.group(2)
        info = {}
        for key, pattern in (
            ("node_guid", r"NODE_GUID ([0-9a-fA-F:]+)"),
            ("port_guid", r"PORT_GUID ([0-9a-fA-F:]+)"),
            ("spoofchk", r"spoof checking (on|off)"),
            ("trust", r"trust (on|off)"),
            ("link_state", r"link-state (\w+)"),
        ):
            found = re.search(pattern, rest)
            info[key] = found.group(1).lower() if found else None
        vfs[int(match.group(1))] = info
    return vfs


def on_off(value):
    return "on" if value else "off"


class Pf:
    def __init__(self, root, spec, timeout, check):
        self.spec = spec
        self.pci = spec["pci"]
        self.dir = os.path.join(root, "bus", "pci", "devices", self.pci)
        self.root = root
        self.timeout = timeout
        self.check = check
        self.actions = []

    def act(self, text):
        self.actions.append(f"{self.pci}: {text}")

    def numvfs(self):
        value = read(os.path.join(self.dir, "sriov_numvfs"))
        return int(value) if value not in (None, "") else None

    def vf_count_on_bus(self):
        count = 0
        while os.path.exists(os.path.join(self.dir, f"virtfn{count}")):
            count += 1
        return count

    def netdev(self):
        try:
            names = sorted(os.listdir(os.path.join(self.dir, "net")))
        except OSError:
            return None
        return names[0] if names else None

    def wait_driver(self):
        if not os.path.isdir(self.dir):
            raise VfError(f"{self.pci}: no such PCI device under {self.root}")
        wait_for(
            lambda: os.path.exists(os.path.join(self.dir, "driver")),
            self.timeout,
            f"a driver to bind {self.pci}",
        )

    def set_numvfs(self, want):
        path = os.path.join(self.dir, "sriov_numvfs")
        total = read(os.path.join(self.dir, "sriov_totalvfs"))
        have = self.numvfs()
        if have is None or total is None:
            if want == 0:
                return
            raise VfError(f"{self.pci}: SR-IOV is off in the firmware (no sriov_totalvfs); cannot create {want} VFs")
        if want > int(total):
            raise VfError(f"{self.pci}: {want} VFs requested but sriov_totalvfs is {total} (firmware NUM_OF_VFS)")
        if have == want:
            return
        self.act(f"sriov_numvfs {have} -> {want}")
        if self.check:
            return
        if have != 0 and want != 0:
            write(path, 0)
            wait_for(lambda: self.vf_count_on_bus() == 0, self.timeout, f"the VFs of {self.pci} to go")
        write(path, want)
        wait_for(lambda: self.vf_count_on_bus() == want, self.timeout, f"{want} VFs of {self.pci}")

    def vf_settings(self, want):
        """Apply GUIDs / trust / spoofchk / link state; returns the VF indexes whose GUIDs changed."""
        guids = self.spec.get("guids") or []
        wanted = {k: self.spec.get(k) for k in ("trust", "spoofchk", "link_state")}
        if not guids and all(v is None for v in wanted.values()):
            return []
        netdev = self.netdev()
        if netdev is None:
            if self.check:
                self.act("VF settings (the PF netdev appears with the driver)")
                return []
            raise VfError(f"{self.pci}: no network interface, cannot apply VF settings")
        current = parse_vf_lines(run(["ip", "-d", "link", "show", "dev", netdev])) if want else {}
        changed_guids = []
        for index in range(want):
            have = current.get(index, {})
            args = []
            if index < len(guids):
                node, port = (g.lower() for g in guids[index])
                if have.get("node_guid") != node:
                    args += ["node_guid", node]
                if have.get("port_guid") != port:
                    args += ["port_guid", port]
                if args:
                    changed_guids.append(index)
            if wanted["trust"] is not None and have.get("trust") != on_off(wanted["trust"]):
                args += ["trust", on_off(wanted["trust"])]
            if wanted["spoofchk"] is not None and have.get("spoofchk") != on_off(wanted["spoofchk"]):
                args += ["spoofchk", on_off(wanted["spoofchk"])]
            if wanted["link_state"] is not None and have.get("link_state") != wanted["link_state"]:
                args += ["state", wanted["link_state"]]
            if args:
                self.act(f"vf {index} {' '.join(args)}")
                if not self.check:
                    run(["ip", "link", "set", "dev", netdev, "vf", str(index), *args])
        return changed_guids

    def rebind(self, indexes):
        for index in indexes:
            vf_dir = os.path.join(self.dir, f"virtfn{index}")
            vf_pci = os.path.basename(os.path.realpath(vf_dir))
            driver_link = os.path.join(vf_dir, "driver")
            if not os.path.exists(driver_link):
                continue
            driver = os.path.realpath(driver_link)
            self.act(f"re-bind VF {index} ({vf_pci}) to {os.path.basename(driver)} to apply its GUIDs")
            if self.check:
                continue
            write(os.path.join(driver, "unbind"), vf_pci)
            write(os.path.join(driver, "bind"), vf_pci)

    def apply(self):
        want = int(self.spec.get("num_vfs") or 0)
        self.wait_driver()
        self.set_numvfs(want)
        if self.check and self.numvfs() != want:
            if self.spec.get("guids") or any(self.spec.get(k) is not None for k in ("trust", "spoofchk", "link_state")):
                self.act("VF settings once the VFs exist")
            return
        self.rebind(self.vf_settings(want))

    def destroy(self):
        if self.numvfs():
            self.act(f"sriov_numvfs {self.numvfs()} -> 0")
            if not self.check:
                write(os.path.join(self.dir, "sriov_numvfs"), 0)
                wait_for(lambda: self.vf_count_on_bus() == 0, self.timeout, f"the VFs of {self.pci} to go")

    def state(self):
        return {"pci": self.pci, "netdev": self.netdev(), "sriov_numvfs": self.numvfs()}


def load_config(path):
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise VfError(f"cannot read the configuration {path}: {exc}") from exc


def main(argv=None):
    parser = argparse.ArgumentParser(description="Create SR-IOV VFs and apply their settings (rdmaops.fabric).")
    parser.add_argument("--config", default="/etc/rdmaops/sriov-vfs.json", help="JSON configuration, - for stdin")
    parser.add_argument("--config-json", help="the JSON configuration itself (instead of --config)")
    parser.add_argument("--check", action="store_true", help="report what would change, change nothing")
    parser.add_argument("command", choices=["apply", "destroy"])
    args = parser.parse_args(argv)
    actions = []
    states = []
    try:
        config = json.loads(args.config_json) if args.config_json else load_config(args.config)
        root = config.get("sysfs_root") or "/sys"
        timeout = float(config.get("timeout") or 60)
        for spec in config.get("pfs", []):
            pf = Pf(root, spec, timeout, args.check)
            try:
                if args.command == "apply":
                    pf.apply()
                else:
                    pf.destroy()
            finally:
                actions.extend(pf.actions)
            states.append(pf.state())
    except (VfError, ValueError) as exc:
        print(json.dumps({"failed": True, "msg": str(exc), "changed": bool(actions), "actions": actions}))
        return 1
    print(json.dumps({"changed": bool(actions), "actions": actions, "pfs": states}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
