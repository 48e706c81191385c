#!/usr/bin/env python3
"""The speed table of bench/run.sh: personac side by side with the
hand-written Python peer (bench/ref_pipeline.py) and the I/O floor,
on synthetic repositories of bench/gen_corpus.py, in one run.

    python3 bench/table.py PERSONAC_BINARY WORK_DIR [SIZES...]

SIZES are persona counts (default 1000 10000). Each figure is the best of
several runs (fewer on the larger corpus), except the cold build and
`check`: the best of five at every size, since their goals are ratios of
two such figures, and the best of fewer runs is slower on average. Memory is the peak resident set
of that process. The I/O floor is reading every source once and copying the
artifact tree personac writes (`cp -r`): the bytes and files any build must
produce. Ratios are computed from figures of this run only, so a slow or
noisy machine shifts both sides alike.
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.abspath(sys.argv[1])
WORK = os.path.abspath(sys.argv[2])
SIZES = [int(s) for s in sys.argv[3:]] or [1000, 10000]
KINDS = ["personas", "parts", "traits", "skills", "guardrails", "arcs"]


def run(argv, before=None, runs=3, cwd=None):
    """Best wall time (ms) and the peak RSS (MB) of that command over runs."""
    best, peak = None, 0
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = (time.perf_counter() - start) * 1000
        err = child.stderr.read().decode(errors="replace")
        child.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"bench: {' '.join(argv)} failed:\n{err}")
        best = elapsed if best is None else min(best, elapsed)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, peak


def floor(repo, runs):
    """Reading every source once, then copying the artifact tree."""
    files = [os.path.join(d, f) for k in KINDS for d, _, fs in os.walk(os.path.join(repo, k)) for f in fs]
    best = None
    for _ in range(runs):
        target = os.path.join(WORK, "floor-copy")
        shutil.rmtree(target, ignore_errors=True)
        start = time.perf_counter()
        for f in files:
            with open(f, "rb") as handle:
                handle.read()
        subprocess.run(["cp", "-r", os.path.join(repo, "build-output"), target], check=True)
        elapsed = (time.perf_counter() - start) * 1000
        best = elapsed if best is None else min(best, elapsed)
        shutil.rmtree(target, ignore_errors=True)
    return best


def fmt_ms(ms):
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def measure(n):
    runs = 5 if n <= 2000 else 2
    repo = os.path.join(WORK, f"corpus-{n}")
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), repo, "--personas", str(n)], check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(repo, "build-output")
    pc = lambda *args: [BIN, "-q", "-C", repo, *args]
    sources = sum(len(fs) for k in KINDS for _, _, fs in os.walk(os.path.join(repo, k)))

    cold, cold_rss = run(pc("build"), before=lambda: shutil.rmtree(out, ignore_errors=True), runs=5)
    noop, _ = run(pc("build"), runs=runs)
    report = subprocess.run([BIN, "-C", repo, "build", "--format", "json"], capture_output=True, text=True, check=True)
    written = len(json.loads(report.stdout)["written"])
    check, check_rss = run(pc("check"), runs=5)
    show, show_rss = run(pc("show", "persona-00042"), runs=runs)
    manifest, _ = run(pc("manifest", "persona-00042"), runs=runs)
    peer_out = os.path.join(WORK, f"peer-{n}")
    peer, peer_rss = run(
        [sys.executable, os.path.join(HERE, "ref_pipeline.py"), repo, peer_out],
        before=lambda: shutil.rmtree(peer_out, ignore_errors=True),
        runs=1 if n > 2000 else 3,
    )
    shutil.rmtree(peer_out, ignore_errors=True)
    io_floor = floor(repo, runs)
    loader = subprocess.run([sys.executable, os.path.join(HERE, "loader.py"), out], capture_output=True, text=True)
    loader = dict(line.split(": ", 1) for line in loader.stdout.strip().splitlines()) if loader.returncode == 0 else {"error": loader.stderr.strip()[-200:]}
    git = lambda *a: subprocess.run(["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "gc.auto=0", "-c", "maintenance.auto=false", *a], check=True, capture_output=True)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    used = json.load(open(os.path.join(out, "index.json")))["personas"]["persona-00001"]["sources"]
    part = os.path.join(repo, next(s for s in used if s.startswith("parts/") and s.endswith(".md")))
    with open(part, "a") as handle:
        handle.write("One more sentence.\n")
    git("commit", "-qam", "one part")
    diff, _ = run(pc("diff", "HEAD~1", "HEAD"), runs=runs)
    watch = subprocess.run([sys.executable, os.path.join(HERE, "watch_latency.py"), repo, BIN], capture_output=True, text=True)
    mcp = subprocess.run([sys.executable, os.path.join(HERE, "mcp_write_latency.py"), repo, BIN], capture_output=True, text=True)
    lsp = subprocess.run([sys.executable, os.path.join(HERE, "lsp_latency.py"), BIN, repo], capture_output=True, text=True)
    preview = subprocess.run([sys.executable, os.path.join(HERE, "preview_latency.py"), repo, BIN], capture_output=True, text=True)
    shutil.rmtree(repo, ignore_errors=True)
    return {
        "n": n, "sources": sources, "cold": cold, "cold_rss": cold_rss, "noop": noop, "written": written,
        "check": check, "check_rss": check_rss, "show": show, "show_rss": show_rss, "manifest": manifest, "diff": diff,
        "peer": peer, "peer_rss": peer_rss, "floor": io_floor,
        "watch": (watch.stdout.strip().splitlines() or [watch.stderr.strip()])[-1],
        "mcp": (mcp.stdout.strip().splitlines() or [mcp.stderr.strip()])[-1],
        "preview": (preview.stdout.strip().splitlines() or [f"failed: {preview.stderr.strip()[-200:]}"])[-1],
        "lsp": lsp.stdout.strip().splitlines() if lsp.returncode == 0 else [f"failed: {lsp.stderr.strip()}"] * 3,
        "loader": loader,
    }


def main():
    os.makedirs(WORK, exist_ok=True)
    results = [measure(n) for n in SIZES]
    base = results[0]
    print("| corpus | personac | against | goal |")
    print("|---|---|---|---|")
    for r in results:
        n = f"{r['n']:,}"
        print(f"| {n} personas ({r['sources']:,} sources), cold build | {fmt_ms(r['cold'])}, {r['cold_rss']:.0f} MB "
              f"| peer {fmt_ms(r['peer'])} ({r['peer'] / r['cold']:.1f}x); I/O floor {fmt_ms(r['floor'])} ({r['cold'] / r['floor']:.1f}x) "
              f"| >= 10x the peer, <= 1.3x the floor |")
        if r is not base:
            print(f"| {n}, cold build against {base['n']:,} | {r['cold'] / base['cold']:.1f}x for {r['n'] / base['n']:.0f}x the personas, "
                  f"{r['cold_rss']:.0f} MB | | <= 11x (linear), <= 400 MB |")
        print(f"| {n}, no-op rebuild | {fmt_ms(r['noop'])} ({r['noop'] / r['cold']:.2f} of cold), {r['written']} files written | | <= 0.1 of cold, writes nothing |")
        print(f"| {n}, `check` | {fmt_ms(r['check'])} ({r['check'] / r['cold']:.2f} of cold), {r['check_rss']:.0f} MB | | <= the cold build |")
        against = f"{r['show'] / base['show']:.1f}x the {base['n']:,} figure" if r is not base else ""
        goal = "<= 3x the 1,000 figure" if r is not base else ""
        print(f"| {n}, `show` one persona | {fmt_ms(r['show'])}, {r['show_rss']:.0f} MB (`manifest` {fmt_ms(r['manifest'])}) | {against} | {goal} |")
        print(f"| {n}, `diff HEAD~1 HEAD` (one part changed) | {fmt_ms(r['diff'])} | | well under 1 s at 1,000 |")
        print(f"| {n}, watch: one-part edit to artifacts | {r['watch']} | | < 200 ms |")
        print(f"| {n}, MCP write (validated) | {r['mcp']} | | <= 100 ms at 1,000 |")
        print(f"| {n}, preview: save to page (SSE event, then `/api/view`) | {r['preview'].removeprefix('save to page: ')} | the watch, same saves | <= 100 ms over the watch's |")
        goals = ["<= 50 ms at 1,000, <= 200 ms at 10,000", "<= 20 ms", "<= 20 ms"]
        for line, goal in zip((r["lsp"] + ["(no answer)"] * 3)[:3], goals):
            what, _, figure = line.partition(": ")
            print(f"| {n}, LSP: {what} | {figure} | | {goal} |")
        l = r["loader"]
        if "error" in l:
            print(f"| {n}, Python loader | failed: {l['error']} | | |")
        else:
            print(f"| {n}, Python loader: `Registry.load` | {l['load']} | | |")
            print(f"| {n}, Python loader: load and `get` every persona, verified | {l['all, verified']} | | |")
            print(f"| {n}, Python loader: load and `get` every persona, unverified | {l['all, unverified']} | | |")
            if r is base:
                print(f"| Python loader: `get` + `prompt` | {l['prompt']} | | |")
    print()
    print("peer memory: " + ", ".join(f"{r['n']:,}: {r['peer_rss']:.0f} MB" for r in results))


main()
