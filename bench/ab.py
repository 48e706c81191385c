"""Two or more personac binaries side by side on one repository: the cold
build, `check` and the no-op build, in interleaved rounds, so that a noisy
machine moves every binary alike.

    python3 bench/ab.py REPO BINARY [BINARY...]
    N=3 python3 bench/ab.py REPO OLD NEW      # rounds (default 10)

Prints, per binary and command, the best and the median wall time, and the
best and median CPU time (user and system, all threads) of the cold build.
Each binary's cold build removes REPO/build-output first; its no-op follows
its own build.
"""
import os, shutil, statistics, subprocess, sys, time

repo, bins = sys.argv[1], sys.argv[2:]
ROUNDS = int(os.environ.get("N", "10"))
out = os.path.join(repo, "build-output")


def timed(argv):
    """Wall and CPU milliseconds of one run."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"ab: {' '.join(argv)} failed")
    return (time.perf_counter() - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


results = {(b, what): [] for b in bins for what in ("cold", "check", "no-op")}
for _ in range(ROUNDS):
    for b in bins:
        shutil.rmtree(out, ignore_errors=True)
        results[(b, "cold")].append(timed([b, "-q", "-C", repo, "build"]))
        results[(b, "no-op")].append(timed([b, "-q", "-C", repo, "build"]))
        results[(b, "check")].append(timed([b, "-q", "-C", repo, "check"]))

for what in ("cold", "check", "no-op"):
    for b in bins:
        wall = sorted(w for w, _ in results[(b, what)])
        cpu = sorted(c for _, c in results[(b, what)])
        line = f"{what:6} {b}: best {wall[0]:.0f} ms, median {statistics.median(wall):.0f} ms"
        if what == "cold":
            line += f"; CPU best {cpu[0]:.0f} ms, median {statistics.median(cpu):.0f} ms"
        print(line)
