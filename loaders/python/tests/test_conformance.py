"""The shared conformance suite (tests/conformance/cases.json), run through the Python loader.

Reads the fixture's build output from $PERSONAC_CONFORMANCE_OUT (default
tests/conformance/repo/build-output, relative to the repository root) and, when
$PERSONAC_CONFORMANCE_BUNDLE names a bundle file, runs every case through it too.
"""

from __future__ import annotations

import json
import unittest
from typing import Any, Dict

from ._support import ROOT, conformance_bundle, conformance_out

from personac import ERROR_KINDS, PersonacError, Registry

CASES: Dict[str, Any] = json.loads((ROOT / "tests/conformance/cases.json").read_text(encoding="utf-8"))


def run_case(reg: Registry, case: Dict[str, Any]) -> str:
    persona = reg.get(case["persona"])
    if "fetch" in case:
        return persona.fetch(case["fetch"]["kind"], case["fetch"]["name"], case["vars"])
    return persona.prompt(case["view"], case["stage"], case["channel"], case["vars"])


class Conformance(unittest.TestCase):
    def check_all(self, reg: Registry) -> None:
        for case in CASES["cases"]:
            with self.subTest(case=case["name"]):
                if "error" in case:
                    with self.assertRaises(PersonacError) as caught:
                        run_case(reg, case)
                    self.assertEqual(caught.exception.kind, case["error"], str(caught.exception))
                    self.assertIsInstance(caught.exception, ERROR_KINDS[case["error"]])
                else:
                    self.assertEqual(run_case(reg, case), case["expect"])

    def test_cases_cover_every_error_kind(self) -> None:
        kinds = {c["error"] for c in CASES["cases"] if "error" in c}
        self.assertEqual(kinds | {"hash_mismatch", "unknown_format"}, set(ERROR_KINDS))

    def test_folder(self) -> None:
        out = conformance_out()
        if not (out / "index.json").exists():
            self.skipTest(f"no build output at {out} (build tests/conformance/repo, or set PERSONAC_CONFORMANCE_OUT)")
        self.check_all(Registry.load(out))

    def test_folder_without_verify(self) -> None:
        out = conformance_out()
        if not (out / "index.json").exists():
            self.skipTest(f"no build output at {out}")
        self.check_all(Registry.load(out, verify=False))

    def test_bundle(self) -> None:
        bundle = conformance_bundle()
        if bundle is None:
            self.skipTest("PERSONAC_CONFORMANCE_BUNDLE is not set")
        self.check_all(Registry.from_bundle(bundle))
        self.check_all(Registry.from_bundle(bundle.read_text(encoding="utf-8")))

    def test_a_naive_filler_gets_the_literal_cases_wrong(self) -> None:
        """Plain string replacement of `{{ name }}` on the .md text must fail every case marked
        `literal`: otherwise the cases would not tell a correct loader from a naive one."""
        out = conformance_out()
        if not (out / "index.json").exists():
            self.skipTest(f"no build output at {out}")
        index = json.loads((out / "index.json").read_text(encoding="utf-8"))
        literal = [c for c in CASES["cases"] if c.get("literal")]
        self.assertGreaterEqual(len(literal), 10)
        for case in literal:
            with self.subTest(case=case["name"]):
                name = case["persona"].split("@")[0]
                entry = index["personas"][name]
                if "fetch" in case:
                    rec = next(r for r in entry["on_demand"] if (r["kind"], r["name"]) == (case["fetch"]["kind"], case["fetch"]["name"]))
                else:
                    rec = next(
                        r for r in entry["views"]
                        if (r["view"], r["stage"], r["channel"]) == (case["view"], case["stage"], case["channel"])
                    )
                text = (out / name / rec["path"]).read_text(encoding="utf-8")
                values = {v["name"]: v["default"] for v in entry["runtime_vars"] if "default" in v}
                values.update(case["vars"])
                naive = text
                for key, value in values.items():
                    naive = naive.replace("{{ " + key + " }}", value)
                self.assertNotEqual(naive, case["expect"])


if __name__ == "__main__":
    unittest.main()
