"""Edit-to-artifact latency of `personac watch`, for two or more binaries
side by side on the same built repository: rounds of runs, interleaved, so
that a noisy machine moves every binary alike.

    python3 bench/watch_ab.py REPO BINARY [BINARY...]
    GAP=0.05 python3 bench/watch_ab.py REPO OLD NEW    # saves in quick succession

Each run starts `watch`, waits half a second, then saves a part that
persona-00001 uses six times, GAP seconds (default 0.5) after each rebuild,
and times each save until index.json (written last, by a rename) is a new
file. The first save of a run is left out. Prints min, lower quartile and
median per binary over three rounds.
"""
import json, os, statistics, subprocess, sys, time

repo, bins = sys.argv[1], sys.argv[2:]
GAP = float(os.environ.get("GAP", "0.5"))
SAVES, ROUNDS = 6, 3


def run(binary):
    p = subprocess.Popen([binary, "-C", repo, "watch", "--format", "json"], stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        if json.loads(line)["event"] == "built":
            break
    index = json.load(open(f"{repo}/build-output/index.json"))
    sources = index["personas"]["persona-00001"]["sources"]
    part = f"{repo}/" + next(s for s in sources if s.startswith("parts/") and s.endswith(".md"))
    target = f"{repo}/build-output/index.json"

    def seen():
        st = os.stat(target)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    time.sleep(0.5)
    out = []
    for _ in range(SAVES):
        before, text = seen(), open(part).read()
        t0 = time.perf_counter()
        with open(part, "w") as f:
            f.write(text + f"Edit {time.time_ns()}.\n")
        while seen() == before:
            time.sleep(0.001)
        out.append((time.perf_counter() - t0) * 1000)
        for line in p.stdout:
            if json.loads(line)["event"] in ("built", "failed"):
                break
        time.sleep(GAP)
    p.send_signal(2)
    p.wait()
    return out[1:]


results = {b: [] for b in bins}
for _ in range(ROUNDS):
    for b in bins:
        results[b] += run(b)
for b in bins:
    v = sorted(results[b])
    print(f"{b}: min {v[0]:.0f} q1 {v[len(v) // 4]:.0f} median {statistics.median(v):.0f} ms (n={len(v)})")
