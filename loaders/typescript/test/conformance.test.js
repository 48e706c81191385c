// The shared conformance suite (tests/conformance/cases.json), run through the TypeScript loader.
// Reads the fixture's build output from $PERSONAC_CONFORMANCE_OUT (default
// tests/conformance/repo/build-output, relative to the repository root) and, when
// $PERSONAC_CONFORMANCE_BUNDLE names a bundle file, runs every case through it too.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { ERROR_KINDS, PersonacError, Registry } from "../dist/index.js";
import { ROOT, conformanceBundle, conformanceOut } from "./support.js";

const CASES = JSON.parse(readFileSync(join(ROOT, "tests/conformance/cases.json"), "utf8")).cases;
const OUT = conformanceOut();
const HAVE_OUT = existsSync(join(OUT, "index.json"));
const BUNDLE = conformanceBundle();

async function runCase(reg, c) {
  const p = await reg.get(c.persona);
  if (c.fetch) return p.fetch(c.fetch.kind, c.fetch.name, c.vars);
  return p.prompt({ view: c.view, stage: c.stage, channel: c.channel, vars: c.vars });
}

async function checkAll(t, makeRegistry) {
  const reg = await makeRegistry();
  for (const c of CASES) {
    await t.test(c.name, async () => {
      if (c.error !== undefined) {
        await assert.rejects(
          async () => runCase(reg, c),
          (e) => {
            assert.ok(e instanceof PersonacError, `not a PersonacError: ${e}`);
            assert.equal(e.kind, c.error, e.message);
            return true;
          },
        );
      } else {
        assert.equal(await runCase(reg, c), c.expect);
      }
    });
  }
}

test("the cases cover every error kind", () => {
  const kinds = new Set(CASES.filter((c) => c.error).map((c) => c.error));
  kinds.add("hash_mismatch");
  kinds.add("unknown_format");
  assert.deepEqual([...kinds].sort(), [...ERROR_KINDS].sort());
});

test("conformance: folder", { skip: HAVE_OUT ? false : `no build output at ${OUT}` }, async (t) => {
  await checkAll(t, () => Registry.load(OUT));
});

test("conformance: folder without verify", { skip: HAVE_OUT ? false : `no build output at ${OUT}` }, async (t) => {
  await checkAll(t, () => Registry.load(OUT, { verify: false }));
});

test("conformance: bundle", { skip: BUNDLE ? false : "PERSONAC_CONFORMANCE_BUNDLE is not set" }, async (t) => {
  const text = readFileSync(BUNDLE, "utf8");
  await checkAll(t, async () => Registry.fromBundle(text));
  await checkAll(t, async () => Registry.fromBundle(JSON.parse(text)));
});

test("a naive filler gets the literal cases wrong", { skip: HAVE_OUT ? false : `no build output at ${OUT}` }, () => {
  // Plain string replacement of `{{ name }}` on the .md text must fail every case marked `literal`.
  const index = JSON.parse(readFileSync(join(OUT, "index.json"), "utf8"));
  const literal = CASES.filter((c) => c.literal);
  assert.ok(literal.length >= 10);
  for (const c of literal) {
    const name = c.persona.split("@")[0];
    const entry = index.personas[name];
    const rec = c.fetch
      ? entry.on_demand.find((r) => r.kind === c.fetch.kind && r.name === c.fetch.name)
      : entry.views.find((r) => r.view === c.view && r.stage === c.stage && r.channel === c.channel);
    let naive = readFileSync(join(OUT, name, ...rec.path.split("/")), "utf8");
    const values = Object.fromEntries(entry.runtime_vars.filter((v) => v.default !== undefined).map((v) => [v.name, v.default]));
    Object.assign(values, c.vars);
    for (const [k, v] of Object.entries(values)) naive = naive.split(`{{ ${k} }}`).join(v);
    assert.notEqual(naive, c.expect, c.name);
  }
});
