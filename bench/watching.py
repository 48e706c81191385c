"""Timing `personac watch` from a save to its artifacts, shared by
watch_latency.py, watch_ab.py and preview_latency.py.

A save is timed until index.json, which a build writes last (after every
artifact, by a rename), is a new file; then the watch's own event for that
rebuild is read, so that the next save starts from a quiet watch.
"""
import json
import os
import subprocess
import time


def part_of_first_persona(repo):
    """A Markdown part that persona-00001 uses."""
    index = json.load(open(os.path.join(repo, "build-output", "index.json")))
    sources = index["personas"]["persona-00001"]["sources"]
    return os.path.join(repo, next(s for s in sources if s.startswith("parts/") and s.endswith(".md")))


def start(binary, repo):
    """`personac watch` on repo, once its first build is done."""
    proc = subprocess.Popen([binary, "-C", repo, "watch", "--format", "json"], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if json.loads(line)["event"] == "built":
            break
    return proc


def timed_save(proc, repo, save):
    """Calls save(), then waits until index.json is new: the milliseconds
    that took, and the watch's event for the rebuild (`built` or `failed`)."""
    target = os.path.join(repo, "build-output", "index.json")

    def seen():
        # Told by its stat: reading tens of megabytes every millisecond
        # would slow the watch.
        st = os.stat(target)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    before = seen()
    t0 = time.perf_counter()
    save()
    while seen() == before:
        time.sleep(0.001)
    ms = (time.perf_counter() - t0) * 1000
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] in ("built", "failed"):
            return ms, event
    return ms, None


def stop(proc):
    proc.send_signal(2)
    proc.wait()
