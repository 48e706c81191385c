"""Edit-to-artifact latency of `personac watch` on a built repository.

    python3 bench/watch_latency.py REPO PERSONAC_BINARY

Starts `watch`, appends a line to a part that persona-00001 uses (five times),
and measures the time from each save until index.json (written last, after
every artifact, by a rename) is a new file. Prints the watch's own rebuild time too.
"""
import subprocess, time, os, sys, json, glob
repo = sys.argv[1]; binary = sys.argv[2]
p = subprocess.Popen([binary, "-C", repo, "watch", "--format", "json"], stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    if json.loads(line)["event"] == "built": break
idx = json.load(open(repo + "/build-output/index.json"))
# A part that persona-00001 uses, in Markdown form.
part = repo + "/" + next(s for s in idx["personas"]["persona-00001"]["sources"] if s.startswith("parts/") and s.endswith(".md"))
target = f"{repo}/build-output/index.json"  # written last, after every artifact
results = []
rebuild = []
def seen():
    # index.json is put in place by a rename: a new file, told by its stat
    # (reading tens of megabytes every millisecond would slow the watch).
    st = os.stat(target)
    return (st.st_ino, st.st_mtime_ns, st.st_size)
for i in range(5):
    before = seen()
    text = open(part).read()
    t0 = time.perf_counter()
    with open(part, "w") as f: f.write(text + f"Edit {time.time_ns()}.\n")
    while seen() == before: time.sleep(0.001)
    results.append((time.perf_counter() - t0) * 1000)
    for line in p.stdout:
        ev = json.loads(line)
        if ev["event"] in ("built", "failed"):
            rebuild.append(ev.get("ms"))
            break
    time.sleep(0.3)
p.send_signal(2); p.wait()
print("rebuild itself (ms):", rebuild)
print("one-part edit -> artifact: " + ", ".join(f"{r:.0f}" for r in results) + f" ms (best {min(results):.0f}, median {sorted(results)[2]:.0f})")
