#!/usr/bin/env python3
"""Latency of a write through `personac serve --allow-write`.

    python3 bench/mcp_write_latency.py REPO PERSONAC_BINARY [CALLS]

Speaks MCP (JSON-RPC over stdio, no client library) to the server, then
updates the summary of a part that persona-00001 uses CALLS times (default
7). Each write is validated against the repository before it lands. Prints
the first write (which loads the repository) and the best and median of the
rest, in milliseconds.
"""
import json
import subprocess
import sys
import time

repo, binary = sys.argv[1], sys.argv[2]
calls = int(sys.argv[3]) if len(sys.argv) > 3 else 7

server = subprocess.Popen([binary, "-C", repo, "serve", "--allow-write"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
next_id = 0


def request(method, params):
    global next_id
    next_id += 1
    server.stdin.write(json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params}) + "\n")
    server.stdin.flush()
    for line in server.stdout:
        message = json.loads(line)
        if message.get("id") == next_id:
            return message
    sys.exit("bench: the server closed the connection")


request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}})
server.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
server.stdin.flush()

index = json.load(open(f"{repo}/build-output/index.json"))
sources = index["personas"]["persona-00001"]["sources"]
part = next(s for s in sources if s.startswith("parts/")).rsplit("/", 1)[1].rsplit(".", 1)[0]

times = []
for i in range(calls):
    start = time.perf_counter()
    answer = request("tools/call", {"name": "update_agent_part", "arguments": {"name": part, "summary": f"Edited by the bench, call {i}."}})
    times.append((time.perf_counter() - start) * 1000)
    if answer.get("error") or answer["result"].get("isError"):
        sys.exit(f"bench: the write was refused: {json.dumps(answer)[:400]}")
server.stdin.close()
server.wait()
rest = sorted(times[1:])
print(f"first {times[0]:.0f} ms, then best {rest[0]:.0f} ms, median {rest[len(rest) // 2]:.0f} ms ({len(rest)} writes of part `{part}`)")
