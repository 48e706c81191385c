// Helpers shared by the tests: where the repository is, and a tiny format-2 build writer.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const sha = (text) => createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");

/** JSON as personac writes it: keys sorted, 2 spaces, newline at the end. */
export function dumps(obj) {
  const sort = (v) =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify(sort(obj), null, 2) + "\n";
}

const mdOf = (segs) => segs.map((s) => (typeof s === "string" ? s : `{{ ${s.var} }}`)).join("");
const varsOf = (segs) => [...new Set(segs.filter((s) => typeof s !== "string").map((s) => s.var))];
const byteOrder = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function fingerprint(artifacts) {
  const lines = Object.keys(artifacts)
    .filter((p) => p !== "manifest.json")
    .sort(byteOrder)
    .map((p) => `${artifacts[p].sha256} ${p}\n`)
    .join("");
  return "sha256:" + sha(lines);
}

/**
 * Write a format-2 build output. personas: {name: {version, runtime_vars, stages, channels, stage,
 * views: [[view, stage, channel, segments]], on_demand: [[kind, name, segments]], manifest}}.
 * Returns {index, bundle}.
 */
export function writeBuild(out, personas) {
  const files = {};
  const index = { encoding: "o200k_base", format: 2, inputs: "sha256:" + "0".repeat(64), personas: {} };
  for (const [name, spec] of Object.entries(personas)) {
    const artifacts = {};
    const put = (rel, text) => {
      files[`${name}/${rel}`] = text;
      artifacts[rel] = { sha256: sha(text), tokens: Math.floor(text.length / 4) };
      return artifacts[rel].sha256;
    };
    const record = (rel, segs, extra) => {
      const digest = put(rel, mdOf(segs));
      const used = varsOf(segs);
      const rec = { ...extra, path: rel, sha256: digest, tokens: artifacts[rel].tokens, vars: used };
      if (used.length > 0) {
        const segRel = rel.slice(0, -3) + ".segments.json";
        put(segRel, dumps({ format: 2, segments: segs }));
        rec.segments = segRel;
      }
      return rec;
    };
    const views = spec.views.map(([view, stage, channel, segs]) =>
      record(`${stage ? `stages/${stage}/` : ""}${channel ? `channels/${channel}/` : ""}${view}.md`, segs, { view, stage, channel }),
    );
    const onDemand = (spec.on_demand ?? []).map(([kind, item, segs]) => record(`on_demand/${kind}/${item}.md`, segs, { kind, name: item }));
    const fp = fingerprint(artifacts);
    const id = `${name}@${spec.version}+${fp.slice(7, 19)}`;
    put(
      "manifest.json",
      dumps({
        channels: spec.channels ?? [],
        description: spec.description ?? `${name} persona`,
        fingerprint: fp,
        format: 2,
        guardrails: [],
        id,
        metadata: {},
        name,
        on_demand_tools: {},
        parts: [],
        runtime_vars: spec.runtime_vars ?? [],
        skills: [],
        stage: null,
        title: spec.title ?? name,
        traits: [],
        version: spec.version,
        ...(spec.manifest ?? {}),
      }),
    );
    index.personas[name] = {
      artifacts,
      channels: spec.channels ?? [],
      dropped: [],
      fingerprint: fp,
      id,
      inputs: "sha256:" + "0".repeat(64),
      on_demand: onDemand,
      runtime_vars: spec.runtime_vars ?? [],
      sources: [],
      stage: spec.stage ?? null,
      stages: spec.stages ?? [],
      version: spec.version,
      views,
    };
  }
  for (const [rel, text] of Object.entries(files)) {
    const path = join(out, ...rel.split("/"));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, "utf8");
  }
  writeFileSync(join(out, "index.json"), dumps(index), "utf8");
  return { index: JSON.parse(dumps(index)), bundle: { files, format: 2, index: JSON.parse(dumps(index)), kind: "personac-bundle" } };
}

export function conformanceOut() {
  const raw = process.env.PERSONAC_CONFORMANCE_OUT || "tests/conformance/repo/build-output";
  return isAbsolute(raw) ? raw : join(ROOT, raw);
}

export function conformanceBundle() {
  const raw = process.env.PERSONAC_CONFORMANCE_BUNDLE;
  if (!raw) return null;
  return isAbsolute(raw) ? raw : join(ROOT, raw);
}
