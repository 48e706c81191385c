"""Save-to-page latency of `personac preview`, beside the watch's own
edit-to-artifact latency, on a built repository.

    python3 bench/preview_latency.py REPO PERSONAC_BINARY [SAVES]

The same part of persona-00001 is saved SAVES times (default 20) under each:
- `watch`: from the save until index.json (written last, by a rename) is a
  new file;
- `preview`: from the save until the page's event stream (server-sent
  events, read by a client subscribed as the page is) delivers the status of
  the load that followed it, and until `/api/view` answers with the saved
  text (what the page then asks for).
Prints one line: the medians, and the preview's over the watch's.
"""
import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time

import watching

repo, binary = sys.argv[1], sys.argv[2]
saves = int(sys.argv[3]) if len(sys.argv) > 3 else 20
part = watching.part_of_first_persona(repo)
original = open(part).read()


def save(i):
    marker = f"Saved {i} at {time.time_ns()}."
    with open(part, "w") as f:
        f.write(original + marker + "\n")
    return marker


def watch():
    p = watching.start(binary, repo)
    out = []
    for i in range(saves):
        out.append(watching.timed_save(p, repo, lambda: save(i))[0])
        time.sleep(0.3)
    watching.stop(p)
    return out


def preview():
    p = subprocess.Popen([binary, "-C", repo, "preview", "--port", "0"], stderr=subprocess.PIPE, text=True)
    port = int(re.fullmatch(r"Preview http://127\.0\.0\.1:(\d+)/\n", p.stderr.readline()).group(1))
    host = {"Host": f"127.0.0.1:{port}"}
    events = []  # (arrival time, status)
    arrived = threading.Condition()

    def listen():
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/events", headers=host)
        stream = conn.getresponse()
        while True:
            line = stream.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                with arrived:
                    events.append((time.perf_counter(), json.loads(line[6:])))
                    arrived.notify_all()

    threading.Thread(target=listen, daemon=True).start()
    with arrived:
        arrived.wait_for(lambda: events)
    api = http.client.HTTPConnection("127.0.0.1", port)

    def view():
        api.request("GET", "/api/view?persona=persona-00001", headers=host)
        return json.loads(api.getresponse().read())["text"]

    to_event, to_api = [], []
    for i in range(saves):
        with arrived:
            generation = events[-1][1]["generation"]
        t0 = time.perf_counter()
        marker = save(i)
        with arrived:
            arrived.wait_for(lambda: events[-1][1]["generation"] > generation, timeout=60)
            at, status = events[-1]
        to_event.append((at - t0) * 1000)
        while marker not in view():
            time.sleep(0.001)
        to_api.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.3)
    p.terminate()
    p.wait()
    return to_event, to_api


try:
    w = watch()
    e, a = preview()
finally:
    with open(part, "w") as f:
        f.write(original)
med = statistics.median
print(
    f"save to page: event {med(e):.0f} ms, view {med(a):.0f} ms; watch {med(w):.0f} ms "
    f"(medians of {saves}; the page {med(a) - med(w):+.0f} ms over the watch)"
)
