// Unit tests of the TypeScript loader on small builds written by the tests themselves.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";

import { PersonacError, Registry, fingerprintOf, sha256Hex, codePoints } from "../dist/index.js";
import { dumps, fingerprint, writeBuild } from "./support.js";

const U = { var: "user_name" };
const T = { var: "tier" };
const SPEC = {
  maya: {
    version: "1.4.0",
    title: "Maya",
    runtime_vars: [{ name: "user_name", max_length: 5 }, { name: "tier", default: "standard" }, { name: "spare" }],
    stages: ["one", "two"],
    stage: { arc: "arc", name: "one" },
    channels: ["voice"],
    views: [
      ["summary", null, null, ["Hi ", U, "."]],
      ["detail", null, null, ["Hi ", U, ", plan ", T, ". Literal {{ user_name }}.\n"]],
      ["detail", null, "voice", ["Say hi ", U, ".\n"]],
      ["summary", "one", null, ["Hi ", U, "."]],
      ["detail", "one", null, ["Hi ", U, ", plan ", T, ". Literal {{ user_name }}.\n"]],
      ["detail", "two", null, ["Stage two, no vars.\n"]],
      ["detail", "two", "voice", ["Two on voice ", T, ".\n"]],
    ],
    on_demand: [
      ["part", "ctx", ["Context.\n"]],
      ["skill", "tickets", ["Ticket for ", U, ": {{ceid}}\n"]],
    ],
    manifest: { model: "m-1", tools: [], metadata: { team: "care", temperature: 0.3 }, description: "Support" },
  },
  sam: { version: "0.5.0", views: [["summary", null, null, ["Sam.\n"]], ["detail", null, null, ["Sam in detail.\n"]]] },
};

const kindOf = (kind) => (e) => {
  assert.ok(e instanceof PersonacError, String(e));
  assert.equal(e.kind, kind, e.message);
  return true;
};

let dir, out, built;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "personac-ts-"));
  out = join(dir, "build-output");
  built = writeBuild(out, SPEC);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rewriteIndex(change) {
  const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
  change(index);
  writeFileSync(join(out, "index.json"), dumps(index));
}

describe("loading", () => {
  test("names and attributes", async () => {
    const reg = await Registry.load(out);
    assert.deepEqual(reg.names(), ["maya", "sam"]);
    const p = await reg.get("maya");
    assert.deepEqual([p.name, p.version, p.title, p.description, p.model], ["maya", "1.4.0", "Maya", "Support", "m-1"]);
    assert.deepEqual(p.tools, []);
    assert.equal((await reg.get("sam")).tools, null, "absent tools stay null, apart from []");
    assert.deepEqual(p.metadata, { team: "care", temperature: 0.3 });
    assert.deepEqual(p.runtimeVars[1], { name: "tier", default: "standard" });
    assert.deepEqual([p.stage, p.arc, p.stages, p.channels], ["one", "arc", ["one", "two"], ["voice"]]);
    assert.equal(p.id, built.index.personas.maya.id);
    assert.equal(p.manifest.format, 2);
    assert.equal(await reg.get("maya"), p);
  });

  test("pins", async () => {
    const reg = await Registry.load(out);
    const entry = built.index.personas.maya;
    assert.equal((await reg.get(entry.id)).name, "maya");
    assert.equal((await reg.get("maya@1.4.0+" + entry.fingerprint.slice(7))).name, "maya");
    for (const bad of ["maya@1.4.1", "maya@1.4.0+000000000000", "maya@1.4.0+" + entry.fingerprint.slice(7, 15), "maya@"]) {
      await assert.rejects(reg.get(bad), (e) => kindOf("pin_mismatch")(e) && e.message.includes(entry.id));
    }
    await assert.rejects(reg.get("nobody"), (e) => kindOf("unknown_persona")(e) && e.message.includes("maya, sam"));
  });

  test("a pin of a version with build metadata", async () => {
    const bundle = JSON.parse(JSON.stringify(built.bundle));
    const entry = bundle.index.personas.maya;
    entry.version = "1.4.0+build.5";
    entry.id = "maya@1.4.0+build.5+" + entry.fingerprint.slice(7, 19);
    const reg = Registry.fromBundle(bundle);
    assert.equal((await reg.get(entry.id)).name, "maya");
    assert.equal((await reg.get("maya@1.4.0+build.5")).name, "maya");
    for (const bad of ["maya@1.4.0", "maya@1.4.0+build.5+000000000000"]) {
      await assert.rejects(reg.get(bad), kindOf("pin_mismatch"));
    }
  });

  test("bundle, from object and from text, with no filesystem", async () => {
    for (const source of [built.bundle, JSON.stringify(built.bundle)]) {
      const p = await Registry.fromBundle(source).get("maya");
      assert.equal(p.buildSystemPrompt({ user_name: "Jo" }), "Hi Jo, plan standard. Literal {{ user_name }}.\n");
    }
    assert.throws(() => Registry.fromBundle({ ...built.bundle, format: 3 }), kindOf("unknown_format"));
    assert.throws(() => Registry.fromBundle({ ...built.bundle, kind: "other" }), kindOf("unknown_format"));
    const tampered = { ...built.bundle, files: { ...built.bundle.files, "maya/detail.md": "Hi {{ user_name }}!\n" } };
    await assert.rejects(Registry.fromBundle(tampered).get("maya"), kindOf("hash_mismatch"));
  });

  test("fingerprint excludes manifest.json; sha256 agrees with node:crypto", () => {
    const entry = built.index.personas.maya;
    assert.equal(fingerprintOf(entry.artifacts), entry.fingerprint);
    assert.equal(fingerprintOf({ ...entry.artifacts, "manifest.json": { sha256: "0".repeat(64) } }), entry.fingerprint);
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000]) {
      const data = new Uint8Array(n).map((_, i) => (i * 7) & 255);
      assert.equal(sha256Hex(data), createHash("sha256").update(data).digest("hex"));
    }
    assert.equal(codePoints("👩🏽‍💻"), 4);
  });
});

describe("filling", () => {
  test("defaults, literals, no rescan", async () => {
    const p = await (await Registry.load(out)).get("maya");
    assert.equal(p.prompt({ vars: { user_name: "Jo" } }), "Hi Jo, plan standard. Literal {{ user_name }}.\n");
    assert.equal(p.prompt({ vars: { user_name: "Jo", tier: "gold" } }), "Hi Jo, plan gold. Literal {{ user_name }}.\n");
    assert.equal(p.buildSystemPrompt({ user_name: "$&", tier: "{{ user_name }}" }), "Hi $&, plan {{ user_name }}. Literal {{ user_name }}.\n");
    assert.equal(p.prompt({ view: "summary", vars: { user_name: "Jo" } }), "Hi Jo.");
    assert.equal(p.prompt({ channel: "voice", vars: { user_name: "Jo" } }), "Say hi Jo.\n");
    assert.equal(p.prompt({ stage: "two", vars: { spare: "x" } }), "Stage two, no vars.\n");
    assert.equal(p.prompt({ stage: "two", channel: "voice" }), "Two on voice standard.\n");
    assert.equal(p.prompt({ view: "summary", vars: { user_name: "👩🏽‍💻" } }), "Hi 👩🏽‍💻.");
    assert.equal(p.fetch("skill", "tickets", { user_name: "Jo" }), "Ticket for Jo: {{ceid}}\n");
    assert.equal(p.fetch("part", "ctx"), "Context.\n");
  });

  test("errors name what is valid", async () => {
    const p = await (await Registry.load(out)).get("maya");
    assert.throws(() => p.prompt(), (e) => kindOf("missing_variable")(e) && /user_name/.test(e.message) && /maya/.test(e.message) && /detail/.test(e.message));
    assert.throws(() => p.prompt({ vars: { user_name: "Jo", nope: "x" } }), (e) => kindOf("unknown_variable")(e) && e.message.includes("user_name, tier, spare"));
    assert.throws(() => p.prompt({ vars: { user_name: "Johnny" } }), kindOf("too_long"));
    assert.throws(() => p.prompt({ view: "full" }), (e) => kindOf("unknown_view")(e) && e.message.includes("summary, detail"));
    assert.throws(() => p.prompt({ stage: "three" }), (e) => kindOf("unknown_stage")(e) && e.message.includes("one, two"));
    assert.throws(() => p.prompt({ channel: "sms" }), (e) => kindOf("unknown_channel")(e) && e.message.includes("voice"));
    assert.throws(() => p.fetch("trait", "tickets"), (e) => kindOf("unknown_item")(e) && e.message.includes("skill/tickets"));
    assert.throws(() => p.prompt({ vars: { user_name: 5 } }), TypeError);
  });
});

describe("integrity", () => {
  test("unknown formats", async () => {
    for (const [found, advice] of [[1, "rebuild"], [3, "upgrade the personac loader"], [undefined, "rebuild"], ["2", "rebuild"]]) {
      rewriteIndex((ix) => {
        if (found === undefined) delete ix.format;
        else ix.format = found;
      });
      await assert.rejects(
        Registry.load(out),
        (e) => kindOf("unknown_format")(e) && e.message.includes("this loader reads format 2 (personac 0.2)") && e.message.includes(advice),
      );
    }
  });

  test("a tampered view, fingerprint or segment file is a hash mismatch", async () => {
    writeFileSync(join(out, "maya/detail.md"), "Hi {{ user_name }}!\n");
    await assert.rejects((await Registry.load(out)).get("maya"), kindOf("hash_mismatch"));
    const unchecked = await (await Registry.load(out, { verify: false })).get("maya");
    assert.equal(unchecked.prompt({ view: "summary", vars: { user_name: "Jo" } }), "Hi Jo.");

    built = writeBuild(out, SPEC);
    rewriteIndex((ix) => (ix.personas.maya.fingerprint = "sha256:" + "1".repeat(64)));
    await assert.rejects((await Registry.load(out)).get("maya"), kindOf("hash_mismatch"));

    built = writeBuild(out, SPEC);
    const segPath = join(out, "maya/detail.segments.json");
    const doc = JSON.parse(readFileSync(segPath, "utf8"));
    doc.segments[doc.segments.length - 1] = doc.segments.at(-1).replace("Literal {{ user_name }}", "Literal ");
    doc.segments.splice(doc.segments.length - 1, 0, { var: "user_name" });
    const text = dumps(doc);
    writeFileSync(segPath, text);
    rewriteIndex((ix) => {
      const e = ix.personas.maya;
      e.artifacts["detail.segments.json"].sha256 = createHash("sha256").update(text).digest("hex");
      e.fingerprint = fingerprint(e.artifacts);
      e.id = "maya@1.4.0+" + e.fingerprint.slice(7, 19);
    });
    await assert.rejects((await Registry.load(out)).get("maya"), (e) => kindOf("hash_mismatch")(e) && e.message.includes("does not match"));

    built = writeBuild(out, SPEC);
    unlinkSync(join(out, "maya/on_demand/skill/tickets.md"));
    await assert.rejects((await Registry.load(out)).get("maya"), kindOf("hash_mismatch"));
  });
});
