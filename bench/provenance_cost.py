#!/usr/bin/env python3
"""The cost of source records: cold builds of one corpus with the records on
and off (`provenance = false`), interleaved so that both see the same load.
Prints the medians of wall and CPU time (user + system, from the kernel's
accounting of the build process) and the records' share of the cold build,
(on - off) / on.

    python3 bench/gen_corpus.py DIR --personas 1000
    python3 bench/provenance_cost.py target/release/personac DIR [N]

The goal (issue 27) is at most a fifth of the cold build.
"""
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

bin, root, n = str(pathlib.Path(sys.argv[1]).resolve()), pathlib.Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 7
toml = root / "personac.toml"
base = toml.read_text().replace("provenance = false\n", "")
runs = {"on": [], "off": []}
try:
    for i in range(n):
        for mode in ["on", "off"]:
            toml.write_text(("provenance = false\n" if mode == "off" else "") + base)
            shutil.rmtree(root / "build-output", ignore_errors=True)
            start = time.perf_counter()
            child = subprocess.Popen([bin, "build", "--quiet"], cwd=root)
            _, status, usage = os.wait4(child.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit("bench: the build failed")
            runs[mode].append((time.perf_counter() - start, usage.ru_utime + usage.ru_stime))
finally:
    toml.write_text(base)
for k, what in [(0, "wall"), (1, "CPU")]:
    on, off = (statistics.median(r[k] for r in runs[m]) for m in ["on", "off"])
    print(f"{what}: records on {on * 1000:.0f} ms, off {off * 1000:.0f} ms (medians of {n}): "
          f"the records are {(on - off) / on * 100:.0f}% of the cold build (+{(on - off) / off * 100:.0f}% over a build without them)")
