"""Registry and Persona: read personac build output (artifact format 2)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from ._errors import (
    HashMismatch,
    MissingVariable,
    PinMismatch,
    TooLong,
    UnknownChannel,
    UnknownFormat,
    UnknownItem,
    UnknownPersona,
    UnknownStage,
    UnknownVariable,
    UnknownView,
    listing,
)

__all__ = ["Registry", "Persona", "RuntimeVar", "FORMAT", "fingerprint_of", "fill_segments"]

#: The artifact format this loader reads.
FORMAT = 2
#: Shown in ``unknown_format`` messages.
_READS = "this loader reads format 2 (personac 0.2)"
_VIEWS = ("summary", "detail")
_KINDS = ("part", "trait", "skill")

JsonObject = Dict[str, Any]
Segment = Union[str, Dict[str, str]]


@dataclass(frozen=True)
class RuntimeVar:
    """A runtime variable the persona declares (``runtime_vars`` in index.json and the manifest)."""

    name: str
    description: Optional[str] = None
    default: Optional[str] = None
    max_length: Optional[int] = None

    @classmethod
    def from_json(cls, obj: Any) -> "RuntimeVar":
        if isinstance(obj, str):  # tolerated: a bare name
            return cls(name=obj)
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            raise UnknownFormat(f"a runtime variable must be an object with a `name`, found {obj!r}; {_READS}")
        return cls(
            name=obj["name"],
            description=obj.get("description"),
            default=obj.get("default"),
            max_length=obj.get("max_length"),
        )


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint_of(artifacts: Mapping[str, Mapping[str, Any]]) -> str:
    """The persona fingerprint: ``sha256:`` + sha256 hex over ``"{sha256} {path}\\n"`` of every
    artifact except ``manifest.json``, sorted by path (byte order)."""
    paths = sorted((p for p in artifacts if p != "manifest.json"), key=lambda p: p.encode("utf-8"))
    text = "".join(f"{artifacts[p]['sha256']} {p}\n" for p in paths)
    return "sha256:" + _sha256_hex(text.encode("utf-8"))


def _check_format(found: Any, what: str) -> None:
    if isinstance(found, bool) or found != FORMAT:
        shown = "no format" if found is None else f"format {json.dumps(found)}"
        newer = isinstance(found, int) and not isinstance(found, bool) and found > FORMAT
        advice = "upgrade the personac loader" if newer else "rebuild it with personac 0.2"
        raise UnknownFormat(
            f"{what} has {shown}; {_READS}: {advice}",
            found=found,
            reads=FORMAT,
        )


def _safe_rel(path: str) -> bool:
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def fill_segments(
    segments: Sequence[Segment],
    values: Mapping[str, str],
    declared: Mapping[str, RuntimeVar],
    where: str,
    persona: str,
) -> str:
    """Concatenate segments: strings as they are, ``{"var": N}`` replaced by the value (else the
    default, else ``missing_variable``). Values are never scanned again."""
    out: List[str] = []
    for seg in segments:
        if isinstance(seg, str):
            out.append(seg)
            continue
        name = seg["var"]
        value = values.get(name)
        if value is None:
            decl = declared.get(name)
            if decl is not None and decl.default is not None:
                value = decl.default
                _check_length(decl, value, persona, "default")
            else:
                raise MissingVariable(
                    f"persona {persona}: {where} uses the runtime variable `{name}`, which has no value and no default",
                    persona=persona,
                    view=where,
                    variable=name,
                )
        out.append(value)
    return "".join(out)


def _check_length(decl: RuntimeVar, value: str, persona: str, what: str) -> None:
    if decl.max_length is not None:
        n = len(value)  # code points (Unicode scalar values)
        if n > decl.max_length:
            raise TooLong(
                f"persona {persona}: the {what} of `{decl.name}` is {n} characters long, over its max_length {decl.max_length}",
                persona=persona,
                variable=decl.name,
                length=n,
                max_length=decl.max_length,
            )


class _Source:
    """Where persona files come from: a folder on disk, or a bundle's ``files``."""

    def __init__(self, read: Callable[[str], Optional[bytes]], label: str) -> None:
        self.read = read
        self.label = label


class Persona:
    """One concrete persona of a build. Get it from :meth:`Registry.get`."""

    def __init__(self, registry: "Registry", name: str, entry: JsonObject, manifest: JsonObject) -> None:
        self._registry = registry
        self._entry = entry
        self._loaded: Dict[str, "tuple[str, Optional[List[Segment]]]"] = {}
        self.name: str = name
        self.version: str = entry["version"]
        self.id: str = entry["id"]
        self.fingerprint: str = entry["fingerprint"]
        self.manifest: JsonObject = manifest
        self.title: str = manifest.get("title") or name
        self.description: Optional[str] = manifest.get("description")
        self.model: Optional[str] = manifest.get("model")
        #: ``None`` when the persona does not say (all tools / unset); ``[]`` means none.
        self.tools: Optional[List[str]] = manifest.get("tools")
        self.metadata: Dict[str, Any] = manifest.get("metadata") or {}
        self.runtime_vars: List[RuntimeVar] = [RuntimeVar.from_json(v) for v in entry.get("runtime_vars", [])]
        stage = entry.get("stage")
        #: The current arc stage's name, or ``None`` without an arc.
        self.stage: Optional[str] = stage["name"] if isinstance(stage, dict) else None
        #: The arc's name, or ``None``.
        self.arc: Optional[str] = stage["arc"] if isinstance(stage, dict) else None
        self.stages: List[str] = list(entry.get("stages", []))
        self.channels: List[str] = list(entry.get("channels", []))
        self._declared: Dict[str, RuntimeVar] = {v.name: v for v in self.runtime_vars}

    def __repr__(self) -> str:
        return f"Persona({self.id!r})"

    # -- views -------------------------------------------------------------------------------

    def prompt(
        self,
        view: str = "detail",
        stage: Optional[str] = None,
        channel: Optional[str] = None,
        vars: Optional[Mapping[str, str]] = None,
    ) -> str:
        """One view, its runtime variables filled. ``stage=None`` is the current stage."""
        if view not in _VIEWS:
            raise UnknownView(
                f"persona {self.name} has no view `{view}`; views: {listing(list(_VIEWS))}",
                persona=self.name,
                view=view,
                valid=list(_VIEWS),
            )
        if stage is not None and stage not in self.stages:
            raise UnknownStage(
                f"persona {self.name} has no stage `{stage}`; stages: {listing(self.stages)}",
                persona=self.name,
                stage=stage,
                valid=list(self.stages),
            )
        if channel is not None and channel not in self.channels:
            raise UnknownChannel(
                f"persona {self.name} has no channel `{channel}`; channels: {listing(self.channels)}",
                persona=self.name,
                channel=channel,
                valid=list(self.channels),
            )
        values = self._check_values(vars)
        for v in self._entry.get("views", []):
            if v.get("view") == view and v.get("stage") == stage and v.get("channel") == channel:
                where = self._describe(view, stage, channel)
                return self._render(v, values, where)
        raise HashMismatch(
            f"persona {self.name}: index.json lists no {self._describe(view, stage, channel)}",
            persona=self.name,
        )

    def build_system_prompt(self, **vars: str) -> str:
        """The detail view at the current stage, variables filled."""
        return self.prompt("detail", None, None, vars)

    def fetch(self, kind: str, name: str, vars: Optional[Mapping[str, str]] = None) -> str:
        """An on-demand part, trait or skill, its runtime variables filled."""
        # A reference of an Agent Skills skill (with `file`) is not the item.
        items = [i for i in self._entry.get("on_demand", []) if "file" not in i]
        for item in items:
            if item.get("kind") == kind and item.get("name") == name:
                values = self._check_values(vars)
                return self._render(item, values, f"on-demand {kind} `{name}`")
        valid = [f"{i.get('kind')}/{i.get('name')}" for i in items]
        raise UnknownItem(
            f"persona {self.name} has no on-demand {kind} `{name}`; on-demand items: {listing(valid)}",
            persona=self.name,
            kind=kind,
            name=name,
            valid=valid,
        )

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _describe(view: str, stage: Optional[str], channel: Optional[str]) -> str:
        out = f"view `{view}`"
        if stage is not None:
            out += f" at stage `{stage}`"
        if channel is not None:
            out += f" on channel `{channel}`"
        return out

    def _check_values(self, vars: Optional[Mapping[str, str]]) -> Dict[str, str]:
        values: Dict[str, str] = dict(vars or {})
        for key, value in values.items():
            decl = self._declared.get(key)
            if decl is None:
                names = [v.name for v in self.runtime_vars]
                raise UnknownVariable(
                    f"persona {self.name} has no runtime variable `{key}`; runtime variables: {listing(names)}",
                    persona=self.name,
                    variable=key,
                    valid=names,
                )
            if not isinstance(value, str):
                raise TypeError(f"the value of runtime variable `{key}` must be a string, not {type(value).__name__}")
            _check_length(decl, value, self.name, "value")
        return values

    def _render(self, record: Mapping[str, Any], values: Mapping[str, str], where: str) -> str:
        text, segments = self._load(record, where)
        if segments is None:
            return text
        return fill_segments(segments, values, self._declared, where, self.name)

    def _load(self, record: Mapping[str, Any], where: str) -> "tuple[str, Optional[List[Segment]]]":
        """A view's or item's text and segments, read (and checked) once."""
        path: str = record["path"]
        hit = self._loaded.get(path)
        if hit is not None:
            return hit
        text = self._registry._read_text(self.name, self._entry, path, record.get("sha256"))
        used = record.get("vars") or []
        segments: Optional[List[Segment]] = None
        if used:
            seg_path = record.get("segments")
            if not isinstance(seg_path, str):
                raise HashMismatch(
                    f"persona {self.name}: {where} uses runtime variables but index.json names no segment file",
                    persona=self.name,
                )
            doc = json.loads(self._registry._read_text(self.name, self._entry, seg_path, None))
            _check_format(doc.get("format") if isinstance(doc, dict) else None, f"{self.name}/{seg_path}")
            segments = doc["segments"]
            if self._registry.verify:
                self._check_segments(segments, text, used, seg_path)
        self._loaded[path] = (text, segments)
        return text, segments

    def _check_segments(self, segments: Sequence[Segment], text: str, used: Sequence[str], path: str) -> None:
        joined: List[str] = []
        for seg in segments:
            if isinstance(seg, str):
                joined.append(seg)
            elif isinstance(seg, dict) and isinstance(seg.get("var"), str) and seg["var"] in used:
                joined.append("{{ " + seg["var"] + " }}")
            else:
                raise HashMismatch(f"persona {self.name}: {path} holds a bad segment {seg!r}", persona=self.name)
        if "".join(joined) != text:
            raise HashMismatch(
                f"persona {self.name}: {path} does not match the text of its view",
                persona=self.name,
                path=path,
            )


class Registry:
    """The personas of one build output (a folder, or a bundle)."""

    def __init__(self, index: JsonObject, source: _Source, verify: bool) -> None:
        _check_format(index.get("format") if isinstance(index, dict) else None, f"{source.label}/index.json")
        self.index: JsonObject = index
        self.verify: bool = verify
        self.encoding: Optional[str] = index.get("encoding")
        self._source = source
        self._personas: Dict[str, JsonObject] = dict(index.get("personas") or {})
        self._cache: Dict[str, Persona] = {}

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"] = "build-output", verify: bool = True) -> "Registry":
        """Read ``index.json`` of a build output folder; persona files are read on demand."""
        root = Path(path)
        index = json.loads((root / "index.json").read_bytes().decode("utf-8"))

        def read(rel: str) -> Optional[bytes]:
            target = root.joinpath(*rel.split("/"))
            try:
                return target.read_bytes()
            except FileNotFoundError:
                return None

        return cls(index, _Source(read, str(root)), verify)

    @classmethod
    def from_bundle(cls, bundle: Union[str, bytes, "os.PathLike[str]", Mapping[str, Any]], verify: bool = True) -> "Registry":
        """A bundle (``personac export bundle``): a path to its file, its JSON text, or the parsed object."""
        obj: Any
        if isinstance(bundle, Mapping):
            obj = bundle
        elif isinstance(bundle, bytes):
            obj = json.loads(bundle.decode("utf-8"))
        elif isinstance(bundle, str) and bundle.lstrip().startswith("{"):
            obj = json.loads(bundle)
        else:
            obj = json.loads(Path(bundle).read_bytes().decode("utf-8"))
        if not isinstance(obj, Mapping) or obj.get("kind") != "personac-bundle":
            raise UnknownFormat(f"not a personac bundle (no `\"kind\": \"personac-bundle\"`); {_READS}")
        _check_format(obj.get("format"), "the bundle")
        files: Mapping[str, str] = obj.get("files") or {}

        def read(rel: str) -> Optional[bytes]:
            text = files.get(rel)
            return None if text is None else text.encode("utf-8")

        return cls(obj["index"], _Source(read, "bundle"), verify)

    # -- queries -----------------------------------------------------------------------------

    def names(self) -> List[str]:
        """The concrete personas, sorted."""
        return sorted(self._personas)

    def __contains__(self, name: object) -> bool:
        return name in self._personas

    def get(self, ref: str) -> Persona:
        """``"maya"``, ``"maya@1.4.0"`` or ``"maya@1.4.0+e345754896e7"`` (the persona's id)."""
        name, at, pin = ref.partition("@")
        entry = self._personas.get(name)
        # A version may carry build metadata (`1.0.0+build.5`): the whole pin
        # is tried as the version before it is split at its last `+`.
        if entry is not None and pin == entry.get("version"):
            version, plus, fp = pin, "", ""
        else:
            version, plus, fp = pin.rpartition("+") if "+" in pin else (pin, "", "")
        if entry is None:
            raise UnknownPersona(
                f"no persona `{name}` in this build; personas: {listing(self.names())}",
                persona=name,
                valid=self.names(),
            )
        if at and (version != entry.get("version") or (plus and not self._fp_matches(fp, entry))):
            raise PinMismatch(
                f"`{ref}` does not match the build, which holds {entry.get('id')}",
                persona=name,
                wanted=ref,
                found=entry.get("id"),
            )
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        if self.verify:
            computed = fingerprint_of(entry.get("artifacts") or {})
            if computed != entry.get("fingerprint"):
                raise HashMismatch(
                    f"persona {name}: the fingerprint in index.json is {entry.get('fingerprint')}, its artifacts give {computed}",
                    persona=name,
                )
            expected_id = f"{name}@{entry.get('version')}+{computed[7:19]}"
            if entry.get("id") != expected_id:
                raise HashMismatch(
                    f"persona {name}: its id in index.json is {entry.get('id')}, its artifacts give {expected_id}",
                    persona=name,
                )
        manifest = json.loads(self._read_text(name, entry, "manifest.json", None))
        _check_format(manifest.get("format") if isinstance(manifest, dict) else None, f"{name}/manifest.json")
        persona = Persona(self, name, entry, manifest)
        self._cache[name] = persona
        return persona

    @staticmethod
    def _fp_matches(fp: str, entry: Mapping[str, Any]) -> bool:
        full = str(entry.get("fingerprint", ""))
        if full.startswith("sha256:"):
            full = full[7:]
        if fp.startswith("sha256:"):
            fp = fp[7:]
        return len(fp) in (12, 64) and fp == full[: len(fp)]

    def _read_text(self, name: str, entry: Mapping[str, Any], rel: str, listed_sha: Optional[str]) -> str:
        artifacts = entry.get("artifacts") or {}
        art = artifacts.get(rel)
        if not _safe_rel(rel) or art is None:
            raise HashMismatch(
                f"persona {name}: `{rel}` is not an artifact listed in index.json",
                persona=name,
                path=rel,
            )
        data = self._source.read(f"{name}/{rel}")
        if data is None:
            raise HashMismatch(f"persona {name}: the artifact `{rel}` is missing", persona=name, path=rel)
        if self.verify:
            actual = _sha256_hex(data)
            for expected in (art.get("sha256"), listed_sha):
                if expected is not None and expected != actual:
                    raise HashMismatch(
                        f"persona {name}: `{rel}` has sha256 {actual}, index.json says {expected}",
                        persona=name,
                        path=rel,
                    )
        return data.decode("utf-8")

