"""`personac lsp` as an editor sees it, on a generated repository: the time
from a `didChange` to the diagnostics it publishes for that document, and
the time a completion and a hover take.

    python3 bench/lsp_latency.py BINARY REPO [ROUNDS]

Opens the repository's first persona, then ROUNDS times (default 20)
changes it, alternately breaking a part name (`tone-…` to `tonne-…`, an
unknown part) and mending it, and waits for the `publishDiagnostics` that
follows each change (the broken one must carry an error, the mended one
none); then asks ROUNDS completions inside `parts = [` and ROUNDS hovers on a
part's name. Prints the median and the worst of each, in milliseconds.
"""
import json, os, re, statistics, subprocess, sys, threading, time
from pathlib import Path

binary, repo = sys.argv[1], Path(sys.argv[2]).resolve()
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 20

proc = subprocess.Popen([binary, "lsp"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
inbox, cond = [], threading.Condition()


def reader():
    out = proc.stdout
    while True:
        headers = {}
        while True:
            line = out.readline()
            if not line:
                return
            line = line.decode().strip()
            if not line:
                break
            key, _, value = line.partition(":")
            headers[key.lower()] = value.strip()
        body = json.loads(out.read(int(headers["content-length"])))
        with cond:
            inbox.append((time.perf_counter(), body))
            cond.notify_all()


threading.Thread(target=reader, daemon=True).start()
next_id = 0


def send(message):
    data = json.dumps(message).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
    proc.stdin.flush()


def wait_for(match, timeout=60):
    deadline = time.time() + timeout
    with cond:
        while True:
            for i, (at, msg) in enumerate(inbox):
                if match(msg):
                    del inbox[: i + 1]
                    return at, msg
            if not cond.wait(max(0, deadline - time.time())):
                sys.exit("lsp_latency: no answer in time")


def request(method, params):
    global next_id
    next_id += 1
    sent = time.perf_counter()
    send({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params})
    at, msg = wait_for(lambda m, i=next_id: m.get("id") == i)
    if "error" in msg:
        sys.exit(f"lsp_latency: {method} failed: {msg['error']}")
    return (at - sent) * 1000, msg.get("result")


request("initialize", {"processId": os.getpid(), "rootUri": repo.as_uri(), "capabilities": {}})
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
persona = sorted((repo / "personas").glob("*.*"))[0]
uri, text = persona.as_uri(), persona.read_text()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": text}}})
is_mine = lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
wait_for(is_mine)

part = re.search(r'"(tone-\d+)"', text)
broken = text.replace(part.group(1), "tonne" + part.group(1)[4:], 1)
changes = []
for round in range(ROUNDS):
    bad = round % 2 == 0
    sent = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": round + 2}, "contentChanges": [{"text": broken if bad else text}]}})
    at, msg = wait_for(is_mine)
    errors = [d for d in msg["params"]["diagnostics"] if d.get("severity") == 1]
    if bool(errors) != bad:
        sys.exit(f"lsp_latency: round {round}: expected {'an error' if bad else 'no error'}, got {msg['params']['diagnostics']}")
    changes.append((at - sent) * 1000)

# Inside the list of parts (just after `parts = [`), and on a part's name.
lines = text.split("\n")
row = next(i for i, l in enumerate(lines) if l.startswith("parts = ["))
name_row = next(i for i, l in enumerate(lines) if part.group(1) in l)
name_col = lines[name_row].index(part.group(1)) + 2
completions = [request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": row + 1, "character": 2}})[0] for _ in range(ROUNDS)]
hovers = [request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": name_row, "character": name_col}})[0] for _ in range(ROUNDS)]
request("shutdown", None)
send({"jsonrpc": "2.0", "method": "exit"})
proc.wait(timeout=10)

for what, times in (("didChange to diagnostics", changes), ("completion", completions), ("hover", hovers)):
    print(f"{what}: median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms ({len(times)} rounds)")
