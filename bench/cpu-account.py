#!/usr/bin/env python3
"""Where the machine's CPU time went between two snapshots (a benchmark's diagnostic, Linux only).

  cpu-account.py snap FILE [NAME=PID ...]   write a snapshot: the machine's busy time (/proc/stat),
                                            each Docker container's cgroup (cpuacct.usage, cgroup v1,
                                            or cpu.stat usage_usec, cgroup v2) and every process
                                            outside the containers (utime + stime of /proc/PID/stat);
                                            NAME=PID labels a process (e.g. operator=1234)
  cpu-account.py diff A B                   print the CPU seconds spent between A and B: the
                                            machine in total, per container (by name), per labelled
                                            process, per other host command and kernel thread, and
                                            what processes that exited meanwhile used (counted with
                                            the parent that reaped them)
"""
import glob
import json
import os
import subprocess
import sys

HZ = os.sysconf("SC_CLK_TCK")


def busy_seconds():
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq) / HZ


def containers():
    out = {}
    for path in glob.glob("/sys/fs/cgroup/cpuacct/docker/*/cpuacct.usage"):
        with open(path) as f:
            out[path.split("/")[-2]] = int(f.read()) / 1e9
    for path in glob.glob("/sys/fs/cgroup/system.slice/docker-*.scope/cpu.stat"):
        with open(path) as f:
            for line in f:
                if line.startswith("usage_usec"):
                    cid = path.split("/")[-2][len("docker-"):-len(".scope")]
                    out[cid] = int(line.split()[1]) / 1e6
    return out


def host_processes():
    out = {}
    for d in glob.glob("/proc/[0-9]*"):
        pid = d.split("/")[-1]
        try:
            with open(d + "/cgroup") as f:
                if "docker" in f.read():
                    continue  # counted in its container's cgroup
            with open(d + "/stat") as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        rest = s[s.rindex(")") + 2:].split()
        kernel = rest[1] == "2" or pid == "2"  # children of kthreadd
        own = (int(rest[11]) + int(rest[12])) / HZ
        reaped = (int(rest[13]) + int(rest[14])) / HZ  # its exited children's, once waited for
        started = int(rest[19]) / HZ  # seconds after boot
        out[pid] = [("kernel " if kernel else "") + comm, own, reaped, started]
    return out


def snap(path, labels):
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    data = {"uptime": uptime, "busy": busy_seconds(), "containers": containers(), "procs": host_processes(), "labels": labels}
    with open(path, "w") as f:
        json.dump(data, f)


def names():
    try:
        lines = subprocess.run(["docker", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"],
                               capture_output=True, text=True, timeout=30).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return {}
    return dict(line.split(" ", 1) for line in lines if " " in line)


def diff(a_path, b_path):
    with open(a_path) as f:
        a = json.load(f)
    with open(b_path) as f:
        b = json.load(f)
    total = b["busy"] - a["busy"]
    rows = []
    known = names()
    for cid, used in b["containers"].items():
        spent = used - a["containers"].get(cid, 0.0)  # a container created meanwhile started at 0
        if spent > 0.005:
            rows.append(("container " + known.get(cid, cid[:12]), spent))
    labels = {pid: name for name, pid in b.get("labels", {}).items()}
    groups = {}
    for pid, (comm, used, reaped, started) in b["procs"].items():
        before = a["procs"].get(pid)
        same = before is not None and before[0] == comm
        if not same and started < a["uptime"] - 0.5:
            continue  # there before A and not seen by it (the snapshot is not atomic): unknown share
        key = labels.get(pid, comm)
        if key.startswith("kernel "):
            key = "kernel " + key[7:].split("/")[0].rstrip("0123456789:-")
        elif key.startswith("containerd-shim"):
            key = "containerd-shim (all)"
        spent = used - (before[1] if same else 0.0)
        if spent > 0:
            groups[key] = groups.get(key, 0.0) + spent
        # exited children (reaped meanwhile); a shim's are the containers' processes, counted there
        children = reaped - (before[2] if same else 0.0)
        if children > 0 and not comm.startswith("containerd-shim"):
            groups["exited children of " + key] = groups.get("exited children of " + key, 0.0) + children
    rows += groups.items()
    rows.sort(key=lambda r: -r[1])
    shown = [r for r in rows if r[1] >= 0.05][:16]
    print("  CPU seconds spent meanwhile (%d CPUs: %d CPU seconds per second): %.2f in all"
          % (os.cpu_count(), os.cpu_count(), total))
    for key, spent in shown:
        print("    %-66s %6.2f" % (key, spent))
    print("    %-66s %6.2f" % ("the rest (smaller items; processes not yet reaped)", total - sum(r[1] for r in shown)))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "snap":
        snap(sys.argv[2], dict(x.split("=", 1) for x in sys.argv[3:]))
    elif len(sys.argv) == 4 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
