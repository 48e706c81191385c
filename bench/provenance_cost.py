#!/usr/bin/env python3
"""The cost of source records: cold builds of one corpus with the records on
and off (`provenance = false`), interleaved so that both see the same load,
best of N each.

    python3 bench/gen_corpus.py DIR --personas 1000
    python3 bench/provenance_cost.py target/release/personac DIR [N]

The goal (issue 27) is at most a fifth of the cold build.
"""
import pathlib
import shutil
import subprocess
import sys
import time

bin, root, n = str(pathlib.Path(sys.argv[1]).resolve()), pathlib.Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 5
toml = root / "personac.toml"
base = toml.read_text().replace("provenance = false\n", "")
times = {"on": [], "off": []}
for i in range(n):
    for mode in ["on", "off"]:
        toml.write_text(("provenance = false\n" if mode == "off" else "") + base)
        shutil.rmtree(root / "build-output", ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([bin, "build", "--quiet"], cwd=root, check=True)
        times[mode].append(time.perf_counter() - t)
toml.write_text(base)
on, off = min(times["on"]), min(times["off"])
print("on ", " ".join(f"{t*1000:.0f}" for t in times["on"]))
print("off", " ".join(f"{t*1000:.0f}" for t in times["off"]))
print(f"best of {n}: records on {on*1000:.0f} ms, off {off*1000:.0f} ms: +{(on-off)/off*100:.1f}% of the cold build")
