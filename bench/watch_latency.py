"""Edit-to-artifact latency of `personac watch` on a built repository.

    python3 bench/watch_latency.py REPO PERSONAC_BINARY

Starts `watch`, appends a line to a part that persona-00001 uses (five times),
and measures the time from each save until index.json (written last, after
every artifact, by a rename) is a new file. Prints the watch's own rebuild time too.
"""
import sys
import time

import watching

repo, binary = sys.argv[1], sys.argv[2]
part = watching.part_of_first_persona(repo)
p = watching.start(binary, repo)


def append(text):
    with open(part, "w") as f:
        f.write(text + f"Edit {time.time_ns()}.\n")


results, rebuild = [], []
for i in range(5):
    text = open(part).read()
    ms, event = watching.timed_save(p, repo, lambda: append(text))
    results.append(ms)
    rebuild.append(event and event.get("ms"))
    time.sleep(0.3)
watching.stop(p)
print("rebuild itself (ms):", rebuild)
print("one-part edit -> artifact: " + ", ".join(f"{r:.0f}" for r in results) + f" ms (best {min(results):.0f}, median {sorted(results)[2]:.0f})")
