"""Light benchmark hosts: one overlay root file system per host, entered with chroot.

Each host is a created (never started) podman container of the lab node image, mounted with
`podman mount`: the overlay gives every host its own copy of the image for free and
`podman rm` throws it away. hwsim is initialised inside with chroot, so the host-side code
path (the roles' modules, the tool shims, the state dir, the sysfs-like tree) is the one of
a lab host; only the transport (chroot instead of podman exec) and the boot (`hwsim boot`
instead of a container restart) differ.
"""

import json
import shutil
import subprocess
from pathlib import Path

PREFIX = "rdmaops-bench-"
CHROOT_EXE = Path(__file__).resolve().parents[1] / "bin" / "chroot-host"
BENCH_BOOT = Path(__file__).resolve().parents[1] / "bin" / "bench-boot"
# Mixed fleet: two InfiniBand hosts in three run exclusive mode with 8 firmware VFs, every
# third host is RoCE in shared mode (as in inventories/lab).
PROFILES = [
    ("cx6-vpi-ib", {"netns_mode_netns": "exclusive", "nics": [("15b3:101b", 8, "ib")]}),
    ("cx5ex-roce", {"netns_mode_netns": "shared", "nics": [("15b3:1019", 4, None)]}),
    ("cx7-ib", {"netns_mode_netns": "exclusive", "nics": [("15b3:1021", 8, "ib")]}),
]
NICS_PER_PROFILE = {"cx6-vpi-ib": 1, "cx5ex-roce": 1, "cx7-ib": 1}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout.strip()


def host_name(i):
    return f"{PREFIX}{i:03d}"


def create(image, count):
    """Create and mount `count` hosts; return [(name, profile, mountpoint)]."""
    hosts = []
    for i in range(count):
        name = host_name(i)
        profile = PROFILES[i % len(PROFILES)][0]
        subprocess.run(["podman", "rm", "-f", name], capture_output=True)
        run(["podman", "create", "--name", name, image])
        root = run(["podman", "mount", name])
        run(["chroot", root, "/usr/local/sbin/hwsim", "init", "--profile", profile])
        shutil.copy(BENCH_BOOT, f"{root}/usr/local/sbin/bench-boot")
        hosts.append((name, profile, root))
    return hosts


# A cloned fleet (sizes above BENCH_FIRST_MAX): six seed hosts converge for real (the two SM
# hosts 0 and 2, and one host of each profile that is not an SM: 3, 4, 5); every further host
# is a copy of the converged seed of its profile (`podman commit`, then create and mount).
SEED_SIZE = 6
SEED_IMAGE = "localhost/rdmaops-bench-seed-{}"


def commit_seeds(hosts):
    """Images of the converged non-SM seeds 3, 4, 5, by profile index (i % 3)."""
    images = {}
    for name, _, _ in hosts[3:SEED_SIZE]:
        index = int(name[len(PREFIX) :]) % len(PROFILES)
        images[index] = SEED_IMAGE.format(index)
        run(["podman", "commit", "--quiet", name, images[index]])
    return images


def add_clones(hosts, images, count):
    """Grow the fleet to `count` hosts with copies of the converged seeds; return all hosts."""
    hosts = list(hosts)
    for i in range(len(hosts), count):
        name = host_name(i)
        index = i % len(PROFILES)
        subprocess.run(["podman", "rm", "-f", name], capture_output=True)
        run(["podman", "create", "--name", name, images[index]])
        hosts.append((name, PROFILES[index][0], run(["podman", "mount", name])))
    return hosts


def remove_seed_images():
    for index in range(len(PROFILES)):
        subprocess.run(["podman", "rmi", "-f", SEED_IMAGE.format(index)], capture_output=True)


def remove_all():
    names = run(["podman", "ps", "-a", "--format", "{{.Names}}", "--filter", f"name=^{PREFIX}"]).split()
    for name in names:
        subprocess.run(["podman", "umount", "--force", name], capture_output=True)
    if names:
        subprocess.run(["podman", "rm", "-f", *names], capture_output=True, check=True)
    return len(names)


def write_inventory(path, hosts, forks):
    """An inventory like inventories/lab (mixed IB/RoCE, SR-IOV on the IB hosts, two SMs)."""
    rdma, opensm = {}, {}
    ib_seen = 0
    for name, profile, root in hosts:
        choice = dict(PROFILES)[profile]
        hv = {
            "ansible_host": root,
            "hwsim_profile": profile,
            "netns_mode_netns": choice["netns_mode_netns"],
            "sriov_firmware_nics": [
                {"device_id": d, "num_vfs": n, **({"link_type": lt} if lt else {})} for d, n, lt in choice["nics"]
            ],
        }
        rdma[name] = hv
        if profile != "cx5ex-roce" and ib_seen < 2:
            # a master and a standby subnet manager, as a real fabric has
            opensm[name] = {"opensm_priority": 14 - ib_seen}
            ib_seen += 1
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "community.general.chroot",
                "ansible_chroot_exe": str(CHROOT_EXE),
                "ansible_python_interpreter": "/usr/bin/python3",
                "mofed_source": "inbox",
                "opensm_routing_engine": "updn",
                "rdmaops_sysfs_root": "/var/lib/hwsim/sys",
                "mofed_check_kernel_modules": False,
                "mofed_load_modules": False,
                "mofed_sysfs_root": "/var/lib/hwsim/sys",
                # No systemd and no kernel in a chroot: the simulated boot (bin/bench-boot), and
                # hwsim's boot counter as the boot identity.
                "rdmaops_reboot_command": "/usr/local/sbin/bench-boot now",
                "rdmaops_reboot_boot_time_command": "/usr/local/sbin/hwsim boots --count",
                "rdmaops_reboot_timeout": 120,
                # hwsim's watchers (the simulated hardware, one process per host) apply sriov_numvfs
                # writes late when 50 hosts converge at once on 2 CPUs; real NICs do not queue.
                "sriov_firmware_vf_timeout": 300,
            },
            "children": {
                "rdma_nodes": {"hosts": rdma},
                "opensm_nodes": {"hosts": opensm},
            },
        }
    }
    Path(path).write_text(json.dumps(inventory, indent=1))
    return sum(NICS_PER_PROFILE[p] for _, p, _ in hosts)


def start_watchers(hosts):
    """One `hwsim watch` per host: what hwsim-sync.service does on a lab host (applies
    sriov_numvfs writes at once); part of the simulated hardware, not of the code measured."""
    procs = []
    for _, _, root in hosts:
        procs.append(
            subprocess.Popen(
                ["chroot", root, "/usr/local/sbin/hwsim", "watch", "--interval", "5"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return procs


def stop_watchers(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def marks(hosts):
    """Line counts of each host's call and boot logs before a run."""
    return {
        name: (len(_lines(f"{root}/var/lib/hwsim/calls.jsonl")), len(_lines(f"{root}/var/lib/hwsim/boots.jsonl")))
        for name, _, root in hosts
    }


FIRMWARE_TOOLS = ("mlxconfig", "mstconfig")


def tool_calls_and_boots(hosts, before, nics):
    """hwsim's own counters for one run: firmware tool calls per NIC, boots per host."""
    fw_calls, fw_queries, all_calls, boots = 0, 0, 0, []
    by_tool = {}
    for name, _, root in hosts:
        calls_mark, boots_mark = before[name]
        for line in _lines(f"{root}/var/lib/hwsim/calls.jsonl")[calls_mark:]:
            call = json.loads(line)
            all_calls += 1
            by_tool[call["tool"]] = by_tool.get(call["tool"], 0) + 1
            if call["tool"] in FIRMWARE_TOOLS:
                fw_calls += 1
                # mlxconfig/mstconfig `q`/`query` reads; `set`/`reset` write the NVRAM
                if any(a in ("q", "query") for a in call["argv"]):
                    fw_queries += 1
        new = [json.loads(x) for x in _lines(f"{root}/var/lib/hwsim/boots.jsonl")[boots_mark:]]
        boots.append(sum(1 for b in new if b.get("kind") == "boot"))
    return {
        "mlxconfig_calls_per_nic": round(fw_calls / nics, 2),
        "mlxconfig_queries_per_nic": round(fw_queries / nics, 2),
        "tool_calls_per_host": round(all_calls / len(hosts), 1),
        "tool_calls_by_tool": by_tool,
        "max_reboots_per_host": max(boots),
        "reboots_total": sum(boots),
    }
