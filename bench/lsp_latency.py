#!/usr/bin/env python3
"""Latencies of `personac lsp`: diagnostics after a change, completion, hover.

    python3 bench/lsp_latency.py REPO PERSONAC_BINARY [ROUNDS]

Speaks LSP (Content-Length framed JSON-RPC, no client library) to the
server, opens persona-00001, then ROUNDS times (default 7) changes the
buffer, alternately misspelling its first part and putting it back, and
times each change until the diagnostics that follow it are published; then
times completion in `parts` and hover on the part. Prints the first change
(which loads the repository) and the best and median of the rest, in ms.
"""
import json
import os
import subprocess
import sys
import time

repo, binary = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
server = subprocess.Popen([binary, "-C", repo, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
next_id = 0


def send(message):
    body = json.dumps(message).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.stdin.flush()


def receive():
    length = 0
    while True:
        line = server.stdout.readline()
        if not line:
            sys.exit("bench: the server closed the connection")
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(server.stdout.read(length))


def request(method, params):
    global next_id
    next_id += 1
    send({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params})
    while True:
        message = receive()
        if message.get("id") == next_id:
            return message


def notify(method, params):
    send({"jsonrpc": "2.0", "method": method, "params": params})


root = os.path.abspath(repo)
path = next(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "personas")) for f in fs if f.startswith("persona-00001."))
uri = "file://" + path
text = open(path).read()
request("initialize", {"processId": None, "rootUri": "file://" + root, "capabilities": {}})
notify("initialized", {})
notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": text}})

index = json.load(open(os.path.join(root, "build-output", "index.json")))
# A part the persona's own file names (others come through its parent).
names = [s.rsplit("/", 1)[1].rsplit(".", 1)[0] for s in index["personas"]["persona-00001"]["sources"] if s.startswith("parts/")]
part = next(n for n in names if n in text)
at = text.index(part)
line = text[:at].count("\n")
column = at - (text.rfind("\n", 0, at) + 1)


def published(want_errors):
    while True:
        message = receive()
        if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
            errors = [d for d in message["params"]["diagnostics"] if d.get("severity") == 1]
            if bool(errors) == want_errors:
                return


times = []
for i in range(rounds):
    broken = i % 2 == 0
    new = text.replace(part, part + "-typo", 1) if broken else text
    start = time.perf_counter()
    notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": new}]})
    published(broken)
    times.append((time.perf_counter() - start) * 1000)


def timed(method, params, calls=7):
    spent = []
    for _ in range(calls):
        start = time.perf_counter()
        answer = request(method, params)
        spent.append((time.perf_counter() - start) * 1000)
        if "error" in answer:
            sys.exit(f"bench: {method} failed: {answer}")
    spent.sort()
    return spent[len(spent) // 2]


position = {"textDocument": {"uri": uri}, "position": {"line": line, "character": column + 1}}
completion = timed("textDocument/completion", position)
hover = timed("textDocument/hover", position)
request("shutdown", None)
notify("exit", None)
server.wait()
rest = sorted(times[1:])
print(f"didChange to diagnostics: first {times[0]:.0f} ms, then best {rest[0]:.0f} ms, median {rest[len(rest) // 2]:.0f} ms; "
      f"completion {completion:.1f} ms, hover {hover:.1f} ms (medians)")
