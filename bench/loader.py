#!/usr/bin/env python3
"""The Python loader's figures for bench/run.sh.

    python3 bench/loader.py BUILD_OUTPUT            the corpus's build output

Prints one line per figure:
- `load`: `Registry.load` alone (index.json read and its format checked);
- `all, verified`: load, then `get` of every persona, which reads every file
  a persona lists and checks its sha256 (what a service that serves them all
  pays once), against `sha256sum` of the same files;
- `all, unverified`: the same with `verify=False`;
- `prompt`: `get` + `prompt` of a detail view with two runtime variables
  (the conformance fixture's `nova`; its third takes its default),
  median over 2,000 calls after the first.
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "loaders", "python", "src"))
from personac import Registry  # noqa: E402


def best(f, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def main():
    out = os.path.abspath(sys.argv[1])
    load = best(lambda: Registry.load(out))

    def every(verify):
        reg = Registry.load(out, verify=verify)
        for name in reg.names():
            reg.get(name)

    verified = best(lambda: every(True))
    unverified = best(lambda: every(False))
    files = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs if f != "index.json"]

    def sha256sum():
        for i in range(0, len(files), 2000):
            subprocess.run(["sha256sum", *files[i:i + 2000]], check=True, stdout=subprocess.DEVNULL)

    floor = best(sha256sum)
    n = len(Registry.load(out).names())
    print(f"load: {load:.0f} ms ({n:,} personas)")
    print(f"all, verified: {verified:.0f} ms for {len(files):,} files; sha256sum of the same files {floor:.0f} ms ({verified / floor:.1f}x)")
    print(f"all, unverified: {unverified:.0f} ms")

    fixture = Registry.load(os.path.join(ROOT, "tests", "conformance", "repo", "build-output"))
    values = {"user_name": "John", "nickname": "Jo"}
    fixture.get("nova").prompt(view="detail", vars=values)
    times = []
    for _ in range(2000):
        start = time.perf_counter()
        fixture.get("nova").prompt(view="detail", vars=values)
        times.append((time.perf_counter() - start) * 1e6)
    print(f"prompt: {statistics.median(times):.1f} µs median (get + prompt, detail view, two variables)")


main()
