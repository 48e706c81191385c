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
import os, statistics, sys, time

import watching

repo, bins = sys.argv[1], sys.argv[2:]
GAP = float(os.environ.get("GAP", "0.5"))
SAVES, ROUNDS = 6, 3


def run(binary):
    part = watching.part_of_first_persona(repo)
    p = watching.start(binary, repo)

    def append(text):
        with open(part, "w") as f:
            f.write(text + f"Edit {time.time_ns()}.\n")

    time.sleep(0.5)
    out = []
    for _ in range(SAVES):
        text = open(part).read()
        out.append(watching.timed_save(p, repo, lambda: append(text))[0])
        time.sleep(GAP)
    watching.stop(p)
    return out[1:]


results = {b: [] for b in bins}
for _ in range(ROUNDS):
    for b in bins:
        results[b] += run(b)
for b in bins:
    v = sorted(results[b])
    print(f"{b}: min {v[0]:.0f} q1 {v[len(v) // 4]:.0f} median {statistics.median(v):.0f} ms (n={len(v)})")
