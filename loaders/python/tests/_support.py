"""Helpers shared by the tests: where the repository is, and a tiny format-2 build writer."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]  # loaders/python/tests -> repository root
sys.path.insert(0, str(HERE.parent / "src"))

Segment = Union[str, Dict[str, str]]


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def md_of(segments: Sequence[Segment]) -> str:
    return "".join(s if isinstance(s, str) else "{{ " + s["var"] + " }}" for s in segments)


def vars_of(segments: Sequence[Segment]) -> List[str]:
    out: List[str] = []
    for s in segments:
        if not isinstance(s, str) and s["var"] not in out:
            out.append(s["var"])
    return out


def write_build(
    out: Path,
    personas: Dict[str, Dict[str, Any]],
) -> Dict[str, Any]:
    """Write a format-2 build output. Each persona: {version, runtime_vars, stages, channels,
    stage, views: {(view, stage, channel): segments}, on_demand: {(kind, name): segments},
    manifest: extra manifest fields}. Returns the index object (and the bundle under "_bundle")."""
    files: Dict[str, str] = {}
    index: Dict[str, Any] = {"encoding": "o200k_base", "format": 2, "inputs": "sha256:" + "0" * 64, "personas": {}}
    for name, spec in personas.items():
        artifacts: Dict[str, Any] = {}

        def put(rel: str, text: str) -> str:
            files[f"{name}/{rel}"] = text
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            artifacts[rel] = {"sha256": digest, "tokens": len(text) // 4}
            return digest

        def record(rel: str, segs: Sequence[Segment], extra: Dict[str, Any]) -> Dict[str, Any]:
            digest = put(rel, md_of(segs))
            used = vars_of(segs)
            rec = dict(extra, path=rel, sha256=digest, tokens=artifacts[rel]["tokens"], vars=used)
            if used:
                seg_rel = rel[:-3] + ".segments.json"
                put(seg_rel, dumps({"format": 2, "segments": list(segs)}))
                rec["segments"] = seg_rel
            return rec

        views = []
        for (view, stage, channel), segs in spec["views"].items():
            prefix = (f"stages/{stage}/" if stage else "") + (f"channels/{channel}/" if channel else "")
            views.append(record(f"{prefix}{view}.md", segs, {"view": view, "stage": stage, "channel": channel}))
        on_demand = [
            record(f"on_demand/{kind}/{item}.md", segs, {"kind": kind, "name": item})
            for (kind, item), segs in spec.get("on_demand", {}).items()
        ]
        lines = "".join(f"{artifacts[p]['sha256']} {p}\n" for p in sorted(artifacts, key=lambda p: p.encode()))
        fingerprint = "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
        pid = f"{name}@{spec['version']}+{fingerprint[7:19]}"
        manifest = {
            "channels": spec.get("channels", []),
            "description": spec.get("description", f"{name} persona"),
            "fingerprint": fingerprint,
            "format": 2,
            "guardrails": [],
            "id": pid,
            "metadata": {},
            "name": name,
            "on_demand_tools": {},
            "parts": [],
            "runtime_vars": spec.get("runtime_vars", []),
            "skills": [],
            "stage": None,
            "title": spec.get("title", name.title()),
            "traits": [],
            "version": spec["version"],
        }
        manifest.update(spec.get("manifest", {}))
        put("manifest.json", dumps(manifest))
        index["personas"][name] = {
            "artifacts": dict(sorted(artifacts.items())),
            "channels": spec.get("channels", []),
            "dropped": [],
            "fingerprint": fingerprint,
            "id": pid,
            "inputs": "sha256:" + "0" * 64,
            "on_demand": on_demand,
            "runtime_vars": spec.get("runtime_vars", []),
            "sources": [],
            "stage": spec.get("stage"),
            "stages": spec.get("stages", []),
            "version": spec["version"],
            "views": views,
        }
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    (out / "index.json").write_text(dumps(index), encoding="utf-8")
    index["_bundle"] = {"files": files, "format": 2, "index": json.loads(dumps(index)), "kind": "personac-bundle"}
    return index


def conformance_out() -> Path:
    raw = os.environ.get("PERSONAC_CONFORMANCE_OUT", "tests/conformance/repo/build-output")
    path = Path(raw)
    return path if path.is_absolute() else ROOT / path


def conformance_bundle() -> Optional[Path]:
    raw = os.environ.get("PERSONAC_CONFORMANCE_BUNDLE")
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_absolute() else ROOT / path
