#!/usr/bin/env python3
"""Check (default) or rewrite (--write) every view case's `expect` in cases.json against the
real compiler: `personac -C tests/conformance/repo show PERSONA --view V [--stage S]
[--channel C] --var K=V...`, with every absent runtime variable's default passed explicitly.

Defaults are read from the fixture's build output (build it first:
`personac -C tests/conformance/repo build`). Fetch cases are not shown by `show`; they are
checked by the loaders against the compiled on-demand files.

usage: regen_expect.py PERSONAC_BIN [--write]
"""
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE / "repo"
CASES = HERE / "cases.json"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary, write = sys.argv[1], "--write" in sys.argv[2:]
    index = json.loads((REPO / "build-output/index.json").read_text(encoding="utf-8"))
    doc = json.loads(CASES.read_text(encoding="utf-8"))
    differ = 0
    for case in doc["cases"]:
        if "error" in case or "fetch" in case:
            continue
        name = case["persona"].split("@")[0]
        values = {v["name"]: v["default"] for v in index["personas"][name]["runtime_vars"] if "default" in v}
        values.update(case["vars"])
        cmd = [binary, "-q", "-C", str(REPO), "show", name, "--view", case["view"]]
        if case["stage"] is not None:
            cmd += ["--stage", case["stage"]]
        if case["channel"] is not None:
            cmd += ["--channel", case["channel"]]
        for key, value in values.items():
            cmd += ["--var", f"{key}={value}"]
        shown = subprocess.run(cmd, capture_output=True, check=True).stdout.decode("utf-8")
        if shown != case["expect"]:
            differ += 1
            print(f"differs: {case['name']}", file=sys.stderr)
            case["expect"] = shown
    if write and differ:
        CASES.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"rewrote {differ} expect(s)", file=sys.stderr)
    return 1 if differ and not write else 0


if __name__ == "__main__":
    sys.exit(main())
