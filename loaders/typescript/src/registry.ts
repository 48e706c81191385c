import { PersonacError, listing } from "./errors.js";
import { sha256Hex } from "./sha256.js";

/** The artifact format this loader reads. */
export const FORMAT = 2;
const READS = "this loader reads format 2 (personac 0.2)";
const VIEWS = ["summary", "detail"] as const;

export type ViewName = (typeof VIEWS)[number];
export type ItemKind = "part" | "trait" | "skill";
export type Vars = Readonly<Record<string, string>>;
/** A literal string, or a runtime variable to fill. */
export type Segment = string | { readonly var: string };

/** A runtime variable the persona declares (the JSON object of index.json and manifest.json). */
export interface RuntimeVar {
  readonly name: string;
  readonly description?: string;
  readonly default?: string;
  readonly max_length?: number;
}

/** One entry of `views` (or of `on_demand`, which adds `kind` and `name`) in index.json. */
export interface ViewRecord {
  readonly view?: ViewName;
  readonly stage?: string | null;
  readonly channel?: string | null;
  readonly kind?: ItemKind;
  readonly name?: string;
  readonly path: string;
  readonly sha256: string;
  readonly tokens: number;
  readonly vars: readonly string[];
  readonly segments?: string;
}

export interface ArtifactRecord {
  readonly sha256: string;
  readonly tokens?: number;
  readonly dropped?: readonly string[];
}

/** A persona's entry in index.json. */
export interface IndexEntry {
  readonly artifacts: Readonly<Record<string, ArtifactRecord>>;
  readonly fingerprint: string;
  readonly id: string;
  readonly version: string;
  readonly stage: { readonly arc: string; readonly name: string } | null;
  readonly stages?: readonly string[];
  readonly channels?: readonly string[];
  readonly runtime_vars?: readonly (RuntimeVar | string)[];
  readonly views?: readonly ViewRecord[];
  readonly on_demand?: readonly (ViewRecord & { readonly file?: string })[];
  readonly [key: string]: unknown;
}

export interface IndexJson {
  readonly format: number;
  readonly encoding?: string;
  readonly inputs?: string;
  readonly personas: Readonly<Record<string, IndexEntry>>;
  readonly [key: string]: unknown;
}

export interface Bundle {
  readonly format: number;
  readonly kind: "personac-bundle";
  readonly index: IndexJson;
  readonly files: Readonly<Record<string, string>>;
}

export interface LoadOptions {
  /** Check every sha256 and each persona's fingerprint (default: true). */
  readonly verify?: boolean;
}

export interface PromptOptions {
  readonly view?: ViewName | string;
  /** null or absent: the current stage. */
  readonly stage?: string | null;
  readonly channel?: string | null;
  readonly vars?: Vars;
}

/** Where persona files come from: a folder on disk, or a bundle's `files`. */
interface Source {
  readonly label: string;
  read(path: string): Promise<Uint8Array | null>;
  hash(data: Uint8Array): string;
}

const utf8 = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function compareBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** `sha256:` + sha256 hex over `"{sha256} {path}\n"` of every artifact but `manifest.json`, sorted by path (bytes). */
export function fingerprintOf(artifacts: Readonly<Record<string, ArtifactRecord>>, hash: (d: Uint8Array) => string = sha256Hex): string {
  const paths = Object.keys(artifacts)
    .filter((p) => p !== "manifest.json")
    .sort(compareBytes);
  const text = paths.map((p) => `${artifacts[p].sha256} ${p}\n`).join("");
  return "sha256:" + hash(utf8.encode(text));
}

/** Length in code points (Unicode scalar values), as Python's len(str) and Rust's chars().count(). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function checkFormat(found: unknown, what: string): void {
  if (found === FORMAT) return;
  const shown = found === undefined || found === null ? "no format" : `format ${JSON.stringify(found)}`;
  const newer = typeof found === "number" && found > FORMAT;
  const advice = newer ? "upgrade the personac loader" : "rebuild it with personac 0.2";
  throw new PersonacError("unknown_format", `${what} has ${shown}; ${READS}: ${advice}`, { found, reads: FORMAT });
}

function safeRel(path: string): boolean {
  if (!path || path.startsWith("/") || path.includes("\\") || path.includes("\0")) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PersonacError("unknown_format", `${what} is not JSON (${(e as Error).message}); ${READS}`);
  }
}

function checkLength(decl: RuntimeVar, value: string, persona: string, what: string): void {
  if (typeof decl.max_length === "number") {
    const n = codePoints(value);
    if (n > decl.max_length) {
      throw new PersonacError(
        "too_long",
        `persona ${persona}: the ${what} of \`${decl.name}\` is ${n} characters long, over its max_length ${decl.max_length}`,
        { persona, variable: decl.name, length: n, max_length: decl.max_length },
      );
    }
  }
}

/**
 * Concatenate segments: strings as they are, `{var: N}` replaced by the value,
 * else the declared default, else `missing_variable`. Values are never scanned again.
 */
export function fillSegments(
  segments: readonly Segment[],
  values: Vars,
  declared: ReadonlyMap<string, RuntimeVar>,
  where: string,
  persona: string,
): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "string") {
      out += seg;
      continue;
    }
    const name = seg.var;
    let value = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    if (value === undefined) {
      const decl = declared.get(name);
      if (decl !== undefined && typeof decl.default === "string") {
        value = decl.default;
        checkLength(decl, value, persona, "default");
      } else {
        throw new PersonacError(
          "missing_variable",
          `persona ${persona}: ${where} uses the runtime variable \`${name}\`, which has no value and no default`,
          { persona, view: where, variable: name },
        );
      }
    }
    out += value;
  }
  return out;
}

interface LoadedText {
  readonly text: string;
  readonly segments: readonly Segment[] | null;
  readonly vars: readonly string[];
}

function describe(view: string, stage: string | null, channel: string | null): string {
  let out = `view \`${view}\``;
  if (stage !== null) out += ` at stage \`${stage}\``;
  if (channel !== null) out += ` on channel \`${channel}\``;
  return out;
}

function viewKey(view: string, stage: string | null, channel: string | null): string {
  return JSON.stringify([view, stage, channel]);
}

/** One concrete persona of a build; get it with `await registry.get(ref)`. Its texts are in memory, verified. */
export class Persona {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly fingerprint: string;
  readonly title: string;
  readonly description: string | null;
  readonly model: string | null;
  /** null when the persona does not say (all tools / unset); [] means none. */
  readonly tools: readonly string[] | null;
  readonly metadata: Readonly<Record<string, string | number | boolean>>;
  readonly runtimeVars: readonly RuntimeVar[];
  /** The current arc stage's name, or null without an arc. */
  readonly stage: string | null;
  /** The arc's name, or null. */
  readonly arc: string | null;
  readonly stages: readonly string[];
  readonly channels: readonly string[];
  readonly manifest: Readonly<Record<string, unknown>>;
  readonly entry: IndexEntry;
  readonly #declared: Map<string, RuntimeVar>;
  readonly #views: Map<string, LoadedText>;
  readonly #items: Map<string, LoadedText>;

  /** @internal */
  constructor(
    name: string,
    entry: IndexEntry,
    manifest: Record<string, unknown>,
    views: Map<string, LoadedText>,
    items: Map<string, LoadedText>,
  ) {
    this.name = name;
    this.entry = entry;
    this.id = entry.id;
    this.version = entry.version;
    this.fingerprint = entry.fingerprint;
    this.manifest = manifest;
    this.title = typeof manifest.title === "string" ? manifest.title : name;
    this.description = typeof manifest.description === "string" ? manifest.description : null;
    this.model = typeof manifest.model === "string" ? manifest.model : null;
    this.tools = Array.isArray(manifest.tools) ? (manifest.tools as string[]) : null;
    this.metadata = isObject(manifest.metadata) ? (manifest.metadata as Record<string, string | number | boolean>) : {};
    this.runtimeVars = (entry.runtime_vars ?? []).map((v) => (typeof v === "string" ? { name: v } : v));
    this.stage = entry.stage ? entry.stage.name : null;
    this.arc = entry.stage ? entry.stage.arc : null;
    this.stages = [...(entry.stages ?? [])];
    this.channels = [...(entry.channels ?? [])];
    this.#declared = new Map(this.runtimeVars.map((v) => [v.name, v]));
    this.#views = views;
    this.#items = items;
  }

  /** One view with its runtime variables filled. `stage` null or absent: the current stage. */
  prompt(options: PromptOptions = {}): string {
    const view = options.view ?? "detail";
    const stage = options.stage ?? null;
    const channel = options.channel ?? null;
    if (!(VIEWS as readonly string[]).includes(view)) {
      throw new PersonacError("unknown_view", `persona ${this.name} has no view \`${view}\`; views: ${listing(VIEWS)}`, {
        persona: this.name,
        view,
        valid: [...VIEWS],
      });
    }
    if (stage !== null && !this.stages.includes(stage)) {
      throw new PersonacError(
        "unknown_stage",
        `persona ${this.name} has no stage \`${stage}\`; stages: ${listing(this.stages)}`,
        { persona: this.name, stage, valid: [...this.stages] },
      );
    }
    if (channel !== null && !this.channels.includes(channel)) {
      throw new PersonacError(
        "unknown_channel",
        `persona ${this.name} has no channel \`${channel}\`; channels: ${listing(this.channels)}`,
        { persona: this.name, channel, valid: [...this.channels] },
      );
    }
    const values = this.#checkValues(options.vars);
    const loaded = this.#views.get(viewKey(view, stage, channel));
    if (loaded === undefined) {
      throw new PersonacError("hash_mismatch", `persona ${this.name}: index.json lists no ${describe(view, stage, channel)}`, {
        persona: this.name,
      });
    }
    return this.#fill(loaded, values, describe(view, stage, channel));
  }

  /** The detail view at the current stage, variables filled. */
  buildSystemPrompt(vars: Vars = {}): string {
    return this.prompt({ view: "detail", vars });
  }

  /** An on-demand part, trait or skill, its runtime variables filled. */
  fetch(kind: ItemKind | string, name: string, vars: Vars = {}): string {
    const loaded = this.#items.get(`${kind}/${name}`);
    if (loaded === undefined) {
      const valid = [...this.#items.keys()];
      throw new PersonacError(
        "unknown_item",
        `persona ${this.name} has no on-demand ${kind} \`${name}\`; on-demand items: ${listing(valid)}`,
        { persona: this.name, kind, name, valid },
      );
    }
    const values = this.#checkValues(vars);
    return this.#fill(loaded, values, `on-demand ${kind} \`${name}\``);
  }

  #checkValues(vars: Vars | undefined): Vars {
    const values = vars ?? {};
    for (const key of Object.keys(values)) {
      const decl = this.#declared.get(key);
      if (decl === undefined) {
        const names = this.runtimeVars.map((v) => v.name);
        throw new PersonacError(
          "unknown_variable",
          `persona ${this.name} has no runtime variable \`${key}\`; runtime variables: ${listing(names)}`,
          { persona: this.name, variable: key, valid: names },
        );
      }
      const value: unknown = values[key];
      if (typeof value !== "string") {
        throw new TypeError(`the value of runtime variable \`${key}\` must be a string, not ${typeof value}`);
      }
      checkLength(decl, value, this.name, "value");
    }
    return values;
  }

  #fill(loaded: LoadedText, values: Vars, where: string): string {
    if (loaded.segments === null) return loaded.text;
    return fillSegments(loaded.segments, values, this.#declared, where, this.name);
  }
}

/** The personas of one build output: a folder (`Registry.load`) or a bundle (`Registry.fromBundle`). */
export class Registry {
  readonly index: IndexJson;
  readonly verify: boolean;
  readonly encoding: string | null;
  readonly #source: Source;
  readonly #cache = new Map<string, Promise<Persona>>();

  /** @internal */
  constructor(index: unknown, source: Source, verify: boolean) {
    checkFormat(isObject(index) ? index.format : undefined, `${source.label}/index.json`);
    this.index = index as IndexJson;
    this.verify = verify;
    this.encoding = typeof this.index.encoding === "string" ? this.index.encoding : null;
    this.#source = source;
  }

  /**
   * Read `index.json` of a build output folder (Node: `node:fs/promises` and
   * `node:crypto`, imported only when this is called). Persona files are read,
   * and checked, by `get`.
   */
  static async load(dir: string = "build-output", options: LoadOptions = {}): Promise<Registry> {
    const fs = await import("node:fs/promises");
    const path = await import("node:path");
    const crypto = await import("node:crypto");
    const text = decoder.decode(await fs.readFile(path.join(dir, "index.json")));
    const index = parseJson(text, `${dir}/index.json`);
    const source: Source = {
      label: dir,
      async read(rel: string): Promise<Uint8Array | null> {
        try {
          return await fs.readFile(path.join(dir, ...rel.split("/")));
        } catch (e) {
          if ((e as { code?: string }).code === "ENOENT") return null;
          throw e;
        }
      },
      hash(data: Uint8Array): string {
        return crypto.createHash("sha256").update(data).digest("hex");
      },
    };
    return new Registry(index, source, options.verify ?? true);
  }

  /**
   * A bundle (`personac export bundle`): its parsed object or its JSON text.
   * Needs no filesystem and no Node API (hashes with a pure-TypeScript
   * SHA-256), so it runs in browsers and edge runtimes.
   */
  static fromBundle(bundle: Bundle | string | Record<string, unknown>, options: LoadOptions = {}): Registry {
    const obj = typeof bundle === "string" ? parseJson(bundle, "the bundle") : bundle;
    if (!isObject(obj) || obj.kind !== "personac-bundle") {
      throw new PersonacError("unknown_format", `not a personac bundle (no \`"kind": "personac-bundle"\`); ${READS}`);
    }
    checkFormat(obj.format, "the bundle");
    const files = (isObject(obj.files) ? obj.files : {}) as Record<string, string>;
    const source: Source = {
      label: "bundle",
      async read(rel: string): Promise<Uint8Array | null> {
        return Object.prototype.hasOwnProperty.call(files, rel) && typeof files[rel] === "string" ? utf8.encode(files[rel]) : null;
      },
      hash: sha256Hex,
    };
    return new Registry(obj.index, source, options.verify ?? true);
  }

  /** The concrete personas, sorted. */
  names(): string[] {
    return Object.keys(this.index.personas ?? {}).sort(compareBytes);
  }

  /** `"maya"`, `"maya@1.4.0"` or `"maya@1.4.0+e345754896e7"`. Reads and checks the persona's files. */
  async get(ref: string): Promise<Persona> {
    const at = ref.indexOf("@");
    const name = at < 0 ? ref : ref.slice(0, at);
    const pin = at < 0 ? "" : ref.slice(at + 1);
    const personas = this.index.personas ?? {};
    const entry = Object.prototype.hasOwnProperty.call(personas, name) ? personas[name] : undefined;
    if (entry === undefined) {
      throw new PersonacError("unknown_persona", `no persona \`${name}\` in this build; personas: ${listing(this.names())}`, {
        persona: name,
        valid: this.names(),
      });
    }
    if (at >= 0) {
      // A version may carry build metadata (`1.0.0+build.5`): the whole pin
      // is tried as the version before it is split at its last `+`.
      const plus = pin === entry.version ? -1 : pin.lastIndexOf("+");
      const version = plus < 0 ? pin : pin.slice(0, plus);
      const fp = plus < 0 ? "" : pin.slice(plus + 1);
      if (version !== entry.version || (plus >= 0 && !fingerprintMatches(fp, entry.fingerprint))) {
        throw new PersonacError("pin_mismatch", `\`${ref}\` does not match the build, which holds ${entry.id}`, {
          persona: name,
          wanted: ref,
          found: entry.id,
        });
      }
    }
    let pending = this.#cache.get(name);
    if (pending === undefined) {
      pending = this.#loadPersona(name, entry);
      this.#cache.set(name, pending);
      pending.catch(() => this.#cache.delete(name));
    }
    return pending;
  }

  async #loadPersona(name: string, entry: IndexEntry): Promise<Persona> {
    if (this.verify) {
      const computed = fingerprintOf(entry.artifacts ?? {}, this.#source.hash);
      if (computed !== entry.fingerprint) {
        throw new PersonacError(
          "hash_mismatch",
          `persona ${name}: the fingerprint in index.json is ${entry.fingerprint}, its artifacts give ${computed}`,
          { persona: name },
        );
      }
      const expectedId = `${name}@${entry.version}+${computed.slice(7, 19)}`;
      if (entry.id !== expectedId) {
        throw new PersonacError("hash_mismatch", `persona ${name}: its id in index.json is ${entry.id}, its artifacts give ${expectedId}`, {
          persona: name,
        });
      }
    }
    const manifest = parseJson(await this.#readText(name, entry, "manifest.json", null), `${name}/manifest.json`);
    checkFormat(isObject(manifest) ? manifest.format : undefined, `${name}/manifest.json`);
    const views = new Map<string, LoadedText>();
    for (const rec of entry.views ?? []) {
      views.set(viewKey(rec.view ?? "", rec.stage ?? null, rec.channel ?? null), await this.#loadText(name, entry, rec));
    }
    const items = new Map<string, LoadedText>();
    for (const rec of entry.on_demand ?? []) {
      // A reference of an Agent Skills skill (with `file`) is not the item.
      if (rec.file !== undefined) continue;
      items.set(`${rec.kind}/${rec.name}`, await this.#loadText(name, entry, rec));
    }
    return new Persona(name, entry, manifest as Record<string, unknown>, views, items);
  }

  async #loadText(name: string, entry: IndexEntry, rec: ViewRecord): Promise<LoadedText> {
    const text = await this.#readText(name, entry, rec.path, rec.sha256);
    const vars = rec.vars ?? [];
    if (vars.length === 0) return { text, segments: null, vars };
    if (typeof rec.segments !== "string") {
      throw new PersonacError("hash_mismatch", `persona ${name}: ${rec.path} uses runtime variables but index.json names no segment file`, {
        persona: name,
      });
    }
    const doc = parseJson(await this.#readText(name, entry, rec.segments, null), `${name}/${rec.segments}`);
    checkFormat(isObject(doc) ? doc.format : undefined, `${name}/${rec.segments}`);
    const segments = (doc as { segments: Segment[] }).segments;
    if (this.verify) {
      let joined = "";
      for (const seg of Array.isArray(segments) ? segments : []) {
        if (typeof seg === "string") joined += seg;
        else if (isObject(seg) && typeof seg.var === "string" && vars.includes(seg.var)) joined += `{{ ${seg.var} }}`;
        else throw new PersonacError("hash_mismatch", `persona ${name}: ${rec.segments} holds a bad segment ${JSON.stringify(seg)}`, { persona: name });
      }
      if (joined !== text) {
        throw new PersonacError("hash_mismatch", `persona ${name}: ${rec.segments} does not match the text of its view`, {
          persona: name,
          path: rec.segments,
        });
      }
    }
    return { text, segments, vars };
  }

  async #readText(name: string, entry: IndexEntry, rel: string, listedSha: string | null): Promise<string> {
    const artifacts = entry.artifacts ?? {};
    const art = Object.prototype.hasOwnProperty.call(artifacts, rel) ? artifacts[rel] : undefined;
    if (!safeRel(rel) || art === undefined) {
      throw new PersonacError("hash_mismatch", `persona ${name}: \`${rel}\` is not an artifact listed in index.json`, { persona: name, path: rel });
    }
    const data = await this.#source.read(`${name}/${rel}`);
    if (data === null) {
      throw new PersonacError("hash_mismatch", `persona ${name}: the artifact \`${rel}\` is missing`, { persona: name, path: rel });
    }
    if (this.verify) {
      const actual = this.#source.hash(data);
      for (const expected of [art.sha256, listedSha]) {
        if (expected !== null && expected !== undefined && expected !== actual) {
          throw new PersonacError("hash_mismatch", `persona ${name}: \`${rel}\` has sha256 ${actual}, index.json says ${expected}`, {
            persona: name,
            path: rel,
          });
        }
      }
    }
    return decoder.decode(data);
  }
}

function fingerprintMatches(fp: string, full: string): boolean {
  const want = fp.startsWith("sha256:") ? fp.slice(7) : fp;
  const have = full.startsWith("sha256:") ? full.slice(7) : full;
  return (want.length === 12 || want.length === 64) && have.startsWith(want);
}
