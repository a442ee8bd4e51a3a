#!/usr/bin/env python3
"""`make bench`: fleet (host phase) and cluster (cluster phase) figures, measured in one run.

Fleet: N light hosts (lib/fleet_hosts.py: overlay roots of the node image, chroot connection,
hwsim inside) converged by playbooks/hosts.yml twice (first converge, no-op re-run), next to
the floor (playbooks/floor.yml: the same fact gathering on the same hosts, same forks). Above
--first-max hosts, the fleet is copies of six converged seed hosts: floor and no-op only.
Cluster: a private lab control plane (lab/k8s) with N kwok nodes, playbooks/cluster.yml twice;
API writes of the no-op run from kube-apiserver's apiserver_request_total.
Writes results/latest.json, results/latest.md and results/latest.png.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE / "lib"))

import cluster_bench  # noqa: E402
import fleet_hosts  # noqa: E402
import report  # noqa: E402

WORK = REPO / ".lab" / "bench"
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"


def ansible_env(counts_file):
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".lab" / "collections"),
        ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="bench_counts",
        ANSIBLE_PIPELINING="True",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        BENCH_COUNTS_FILE=str(counts_file),
    )
    return env


def play(playbook, inventory, forks, tag, extra=()):
    """Run one ansible-playbook; return wall time, peak RSS (MiB) of the controller tree, counts."""
    counts_file = WORK / f"counts-{tag}.json"
    log_file = WORK / f"log-{tag}.txt"
    cmd = [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), "-f", str(forks), str(playbook), *extra]
    t0 = time.monotonic()
    with open(log_file, "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=ansible_env(counts_file), stdout=log, stderr=subprocess.STDOUT)
        # wait4: this child's own rusage; ru_maxrss is the largest RSS of the controller process
        # and of every fork it waited for (Linux reports KiB).
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        tail = log_file.read_text().splitlines()[-25:]
        raise SystemExit(f"{playbook.name} ({tag}) failed with rc {rc}; log {log_file}:\n" + "\n".join(tail))
    counts = json.loads(counts_file.read_text())
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "counts": counts}


def per_host_tasks(counts):
    """Tasks a host ran (ok + changed-ok + failed) and skipped, as min/max over the hosts."""
    ran = [c.get("ok", 0) + c.get("failed", 0) for c in counts.values()]
    skipped = [c.get("skipped", 0) for c in counts.values()]
    changed = [c.get("changed", 0) for c in counts.values()]
    return {
        "tasks_per_host_max": max(ran),
        "tasks_per_host_min": min(ran),
        "tasks_per_host_mean": round(sum(ran) / len(ran), 1),
        "skipped_per_host_mean": round(sum(skipped) / len(skipped), 1),
        "changed_per_host_max": max(changed),
    }


def measure_run(playbook, hosts, inventory, forks, tag, nics):
    marks = fleet_hosts.marks(hosts)
    r = play(playbook, inventory, forks, tag)
    r.update(per_host_tasks(r.pop("counts")))
    r.update(fleet_hosts.tool_calls_and_boots(hosts, marks, nics))
    return r


def measure_fleet(hosts, name, forks, tags, floor=True):
    """With hwsim's watchers running: the floor (optional), then hosts.yml once per tag."""
    watchers = fleet_hosts.start_watchers(hosts)
    try:
        inventory = WORK / f"fleet-{name}.json"
        nics = fleet_hosts.write_inventory(inventory, hosts, forks)
        runs = {"nics": nics}
        if floor:
            runs["floor"] = play(HERE / "playbooks" / "floor.yml", inventory, forks, f"floor-{name}")
            runs["floor"].update(per_host_tasks(runs["floor"].pop("counts")))
        for tag in tags:
            runs[tag] = measure_run(REPO / "playbooks" / "hosts.yml", hosts, inventory, forks, f"{tag}-{name}", nics)
    finally:
        fleet_hosts.stop_watchers(watchers)
    return runs


def fleet(size, forks, image):
    WORK.mkdir(parents=True, exist_ok=True)
    fleet_hosts.remove_all()
    t0 = time.monotonic()
    hosts = fleet_hosts.create(image, size)
    setup_s = time.monotonic() - t0
    try:
        runs = measure_fleet(hosts, size, forks, ("first", "noop"))
    finally:
        fleet_hosts.remove_all()
    return {"hosts": size, "setup_s": round(setup_s, 1), **runs}


def cloned_fleet(size, forks, image, seeds):
    """Floor and no-op on `size` converged hosts: the seeds converge once (their first run is
    kept apart), the other hosts are copies of them. A first converge of 50-100 hosts does not
    fit in make bench's 20 minutes on 2 CPUs (about 12 s of CPU per host)."""
    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    if not seeds:
        fleet_hosts.remove_all()
        seeds["hosts"] = fleet_hosts.create(image, fleet_hosts.SEED_SIZE)
        seeds["first"] = measure_fleet(seeds["hosts"], "seed", forks, ("first",), floor=False)["first"]
        seeds["images"] = fleet_hosts.commit_seeds(seeds["hosts"])
    seeds["hosts"] = hosts = fleet_hosts.add_clones(seeds["hosts"], seeds["images"], size)
    setup_s = time.monotonic() - t0
    runs = measure_fleet(hosts, size, forks, ("noop",))
    return {"hosts": size, "setup_s": round(setup_s, 1), "cloned": True, **runs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fleet-sizes", default=os.environ.get("BENCH_FLEET_SIZES", "10 50 100"))
    ap.add_argument("--cluster-sizes", default=os.environ.get("BENCH_CLUSTER_SIZES", "10 100"))
    ap.add_argument("--forks", type=int, default=int(os.environ.get("BENCH_FORKS", "20")))
    ap.add_argument(
        "--first-max",
        type=int,
        default=int(os.environ.get("BENCH_FIRST_MAX", "10")),
        help="largest N whose hosts converge for real; larger fleets copy converged seeds (floor and no-op only)",
    )
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args()
    fleet_sizes = sorted(int(n) for n in args.fleet_sizes.split())  # real fleets first, then the clones
    cluster_sizes = [int(n) for n in args.cluster_sizes.split()]
    image = (REPO / ".lab" / "node-image").read_text().strip()
    started = time.time()
    result = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "forks": args.forks,
        "fleet": {"runs": {}},
        "cluster": {"runs": {}},
    }
    seeds = {}
    try:
        for n in fleet_sizes:
            print(f"bench: fleet N={n} ...", flush=True)
            if n <= args.first_max:
                result["fleet"]["runs"][str(n)] = fleet(n, args.forks, image)
            else:
                result["fleet"]["runs"][str(n)] = cloned_fleet(n, args.forks, image, seeds)
            print(f"bench: fleet N={n}: {json.dumps(result['fleet']['runs'][str(n)])}", flush=True)
    finally:
        fleet_hosts.remove_all()
        fleet_hosts.remove_seed_images()
    if seeds.get("first"):
        result["fleet"]["seed_first"] = seeds["first"]
        result["fleet"]["seed_hosts"] = fleet_hosts.SEED_SIZE
    for n in cluster_sizes:
        print(f"bench: cluster nodes={n} ...", flush=True)
        result["cluster"]["runs"][str(n)] = cluster_bench.measure(n, WORK, ansible_env)
        print(f"bench: cluster nodes={n}: {json.dumps(result['cluster']['runs'][str(n)])}", flush=True)
    result["duration_s"] = round(time.time() - started, 1)
    report.summarise(result)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "latest.md").write_text(report.markdown(result))
    report.plot(result, out / "latest.png")
    print((out / "latest.md").read_text())


if __name__ == "__main__":
    main()
