"""Unit tests of the Python loader on small builds written by the tests themselves."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path
from typing import Any, Dict

from ._support import dumps, write_build

from personac import (
    HashMismatch,
    MissingVariable,
    PersonacError,
    PinMismatch,
    Registry,
    RuntimeVar,
    TooLong,
    UnknownChannel,
    UnknownFormat,
    UnknownItem,
    UnknownPersona,
    UnknownStage,
    UnknownVariable,
    UnknownView,
    fingerprint_of,
)

U = {"var": "user_name"}
T = {"var": "tier"}

SPEC: Dict[str, Dict[str, Any]] = {
    "maya": {
        "version": "1.4.0",
        "title": "Maya",
        "runtime_vars": [
            {"name": "user_name", "max_length": 5},
            {"name": "tier", "default": "standard"},
            {"name": "spare"},
        ],
        "stages": ["one", "two"],
        "stage": {"arc": "arc", "name": "one"},
        "channels": ["voice"],
        "views": {
            ("summary", None, None): ["Hi ", U, "."],
            ("detail", None, None): ["Hi ", U, ", plan ", T, ". Literal {{ user_name }}.\n"],
            ("detail", None, "voice"): ["Say hi ", U, ".\n"],
            ("summary", "one", None): ["Hi ", U, "."],
            ("detail", "one", None): ["Hi ", U, ", plan ", T, ". Literal {{ user_name }}.\n"],
            ("detail", "two", None): ["Stage two, no vars.\n"],
            ("detail", "two", "voice"): ["Two on voice ", T, ".\n"],
        },
        "on_demand": {("skill", "tickets"): ["Ticket for ", U, ": {{ceid}}\n"], ("part", "ctx"): ["Context.\n"]},
        "manifest": {"model": "m-1", "tools": [], "metadata": {"team": "care", "temperature": 0.3}, "description": "Support"},
    },
    "sam": {"version": "0.5.0", "views": {("summary", None, None): ["Sam.\n"], ("detail", None, None): ["Sam in detail.\n"]}},
}


class Base(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.out = Path(self._tmp.name) / "build-output"
        self.index = write_build(self.out, SPEC)
        self.bundle = self.index.pop("_bundle")

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def rewrite_index(self, change: Any) -> None:
        index = json.loads((self.out / "index.json").read_text())
        change(index)
        (self.out / "index.json").write_text(dumps(index))


class Loading(Base):
    def test_names_sorted_and_attributes(self) -> None:
        reg = Registry.load(self.out)
        self.assertEqual(reg.names(), ["maya", "sam"])
        p = reg.get("maya")
        self.assertEqual((p.name, p.version, p.title, p.description, p.model), ("maya", "1.4.0", "Maya", "Support", "m-1"))
        self.assertEqual(p.tools, [])
        self.assertIsNone(reg.get("sam").tools, "absent tools stay None, apart from []")
        self.assertEqual(p.metadata, {"team": "care", "temperature": 0.3})
        self.assertEqual(p.runtime_vars[1], RuntimeVar(name="tier", default="standard"))
        self.assertEqual((p.stage, p.arc, p.stages, p.channels), ("one", "arc", ["one", "two"], ["voice"]))
        self.assertEqual(p.id, self.index["personas"]["maya"]["id"])
        self.assertTrue(p.fingerprint.startswith("sha256:"))
        self.assertEqual(p.manifest["format"], 2)
        self.assertIs(reg.get("maya"), p)

    def test_pins(self) -> None:
        reg = Registry.load(self.out)
        entry = self.index["personas"]["maya"]
        self.assertEqual(reg.get(entry["id"]).name, "maya")
        self.assertEqual(reg.get("maya@1.4.0+" + entry["fingerprint"][7:]).name, "maya")
        for bad in ("maya@1.4.1", "maya@1.4.0+" + "0" * 12, "maya@1.4.0+" + entry["fingerprint"][7:15], "maya@"):
            with self.assertRaises(PinMismatch, msg=bad) as caught:
                reg.get(bad)
            self.assertIn(entry["id"], str(caught.exception))

    def test_pin_of_a_version_with_build_metadata(self) -> None:
        bundle = json.loads(json.dumps(self.bundle))
        entry = bundle["index"]["personas"]["maya"]
        entry["version"] = "1.4.0+build.5"
        entry["id"] = "maya@1.4.0+build.5+" + entry["fingerprint"][7:19]
        reg = Registry.from_bundle(bundle)
        self.assertEqual(reg.get(entry["id"]).name, "maya")
        self.assertEqual(reg.get("maya@1.4.0+build.5").name, "maya")
        for bad in ("maya@1.4.0", "maya@1.4.0+build.5+" + "0" * 12):
            with self.assertRaises(PinMismatch, msg=bad):
                reg.get(bad)

    def test_unknown_persona_lists_names(self) -> None:
        with self.assertRaises(UnknownPersona) as caught:
            Registry.load(self.out).get("nobody")
        self.assertIn("maya, sam", str(caught.exception))
        self.assertEqual(caught.exception.kind, "unknown_persona")

    def test_bundle_from_dict_text_and_path(self) -> None:
        path = self.out.parent / "bundle.json"
        path.write_text(json.dumps(self.bundle), encoding="utf-8")
        for source in (self.bundle, json.dumps(self.bundle), str(path), path, json.dumps(self.bundle).encode()):
            p = Registry.from_bundle(source).get("maya")  # type: ignore[arg-type]
            self.assertEqual(p.build_system_prompt(user_name="Jo"), "Hi Jo, plan standard. Literal {{ user_name }}.\n")

    def test_fingerprint_excludes_manifest(self) -> None:
        entry = self.index["personas"]["maya"]
        self.assertEqual(fingerprint_of(entry["artifacts"]), entry["fingerprint"])
        changed = dict(entry["artifacts"], **{"manifest.json": {"sha256": "0" * 64, "tokens": 1}})
        self.assertEqual(fingerprint_of(changed), entry["fingerprint"])


class Filling(Base):
    def setUp(self) -> None:
        super().setUp()
        self.p = Registry.load(self.out).get("maya")

    def test_fill_default_and_literal(self) -> None:
        self.assertEqual(self.p.prompt(vars={"user_name": "Jo"}), "Hi Jo, plan standard. Literal {{ user_name }}.\n")
        self.assertEqual(self.p.prompt(vars={"user_name": "Jo", "tier": "gold"}), "Hi Jo, plan gold. Literal {{ user_name }}.\n")
        self.assertEqual(self.p.build_system_prompt(user_name="Jo", tier="{{ user_name }}"), "Hi Jo, plan {{ user_name }}. Literal {{ user_name }}.\n")

    def test_views_stages_channels(self) -> None:
        self.assertEqual(self.p.prompt("summary", vars={"user_name": "Jo"}), "Hi Jo.")
        self.assertEqual(self.p.prompt("detail", None, "voice", {"user_name": "Jo"}), "Say hi Jo.\n")
        self.assertEqual(self.p.prompt("detail", "two", None, {}), "Stage two, no vars.\n")
        self.assertEqual(self.p.prompt("detail", "two", "voice", {}), "Two on voice standard.\n")
        self.assertEqual(self.p.prompt("detail", "two", None, {"spare": "x"}), "Stage two, no vars.\n")

    def test_errors(self) -> None:
        with self.assertRaises(MissingVariable) as caught:
            self.p.prompt()
        message = str(caught.exception)
        self.assertIn("user_name", message)
        self.assertIn("maya", message)
        self.assertIn("detail", message)
        with self.assertRaises(UnknownVariable) as uv:
            self.p.prompt(vars={"user_name": "Jo", "nope": "x"})
        self.assertIn("user_name, tier, spare", str(uv.exception))
        with self.assertRaises(TooLong):
            self.p.prompt(vars={"user_name": "Johnny"})
        self.assertEqual(self.p.prompt("summary", vars={"user_name": "👩🏽‍💻"}), "Hi 👩🏽‍💻.")  # 4 code points
        with self.assertRaises(UnknownView) as v:
            self.p.prompt("full")
        self.assertIn("summary, detail", str(v.exception))
        with self.assertRaises(UnknownStage) as s:
            self.p.prompt(stage="three")
        self.assertIn("one, two", str(s.exception))
        with self.assertRaises(UnknownChannel) as c:
            self.p.prompt(channel="sms")
        self.assertIn("voice", str(c.exception))
        with self.assertRaises(TypeError):
            self.p.prompt(vars={"user_name": 5})  # type: ignore[dict-item]

    def test_fetch(self) -> None:
        self.assertEqual(self.p.fetch("skill", "tickets", {"user_name": "Jo"}), "Ticket for Jo: {{ceid}}\n")
        self.assertEqual(self.p.fetch("part", "ctx"), "Context.\n")
        with self.assertRaises(UnknownItem) as caught:
            self.p.fetch("trait", "tickets")
        self.assertIn("skill/tickets", str(caught.exception))


class Integrity(Base):
    def test_unknown_format(self) -> None:
        for found, advice in ((1, "rebuild"), (3, "upgrade the personac loader"), (None, "rebuild"), ("2", "rebuild")):
            def change(ix: Dict[str, Any], found: Any = found) -> None:
                if found is None:
                    del ix["format"]
                else:
                    ix["format"] = found
            self.rewrite_index(change)
            with self.assertRaises(UnknownFormat) as caught:
                Registry.load(self.out)
            self.assertIn("this loader reads format 2 (personac 0.2)", str(caught.exception))
            self.assertIn(advice, str(caught.exception))
        with self.assertRaises(UnknownFormat):
            Registry.from_bundle(dict(self.bundle, format=3))
        with self.assertRaises(UnknownFormat):
            Registry.from_bundle(dict(self.bundle, kind="other"))

    def test_tampered_view(self) -> None:
        (self.out / "maya/detail.md").write_text("Hi {{ user_name }}, plan {{ tier }}. Literal {{ user_name }}!\n")
        p = Registry.load(self.out).get("maya")
        with self.assertRaises(HashMismatch):
            p.prompt(vars={"user_name": "Jo"})
        self.assertEqual(p.prompt("summary", vars={"user_name": "Jo"}), "Hi Jo.")
        unchecked = Registry.load(self.out, verify=False).get("maya")
        self.assertEqual(unchecked.prompt("summary", vars={"user_name": "Jo"}), "Hi Jo.")

    def test_tampered_fingerprint_and_id(self) -> None:
        def fp(ix: Dict[str, Any]) -> None:
            ix["personas"]["maya"]["fingerprint"] = "sha256:" + "1" * 64
        self.rewrite_index(fp)
        with self.assertRaises(HashMismatch):
            Registry.load(self.out).get("maya")
        Registry.load(self.out, verify=False).get("maya")

    def test_tampered_segments(self) -> None:
        seg = self.out / "maya/detail.segments.json"
        doc = json.loads(seg.read_text())
        doc["segments"][-1] = doc["segments"][-1].replace("Literal {{ user_name }}", "Literal ")
        doc["segments"].insert(-1, {"var": "user_name"})
        text = dumps(doc)
        seg.write_text(text)
        import hashlib

        def fix(ix: Dict[str, Any]) -> None:
            entry = ix["personas"]["maya"]
            entry["artifacts"]["detail.segments.json"]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
            entry["fingerprint"] = fingerprint_of(entry["artifacts"])
            entry["id"] = "maya@1.4.0+" + entry["fingerprint"][7:19]
        self.rewrite_index(fix)
        # Every hash matches, but the segments no longer give the .md text.
        p = Registry.load(self.out).get("maya")
        with self.assertRaises(HashMismatch) as caught:
            p.prompt(vars={"user_name": "Jo"})
        self.assertIn("does not match", str(caught.exception))
        self.assertEqual(p.prompt("summary", vars={"user_name": "Jo"}), "Hi Jo.")

    def test_missing_file(self) -> None:
        (self.out / "maya/on_demand/skill/tickets.md").unlink()
        p = Registry.load(self.out).get("maya")
        with self.assertRaises(HashMismatch) as caught:
            p.fetch("skill", "tickets", {"user_name": "Jo"})
        self.assertIsInstance(caught.exception, PersonacError)


if __name__ == "__main__":
    unittest.main()
