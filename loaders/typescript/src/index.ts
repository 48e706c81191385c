/**
 * @personac/runtime: load compiled personas (personac build output, artifact
 * format 2) and fill their runtime variables exactly as `personac show --var` does.
 *
 * ```ts
 * import { Registry } from "@personac/runtime";
 * const reg = await Registry.load("build-output");
 * const maya = await reg.get("maya@1.4.0");
 * const system = maya.buildSystemPrompt({ user_name: "John" });
 * ```
 */
export { PersonacError, ERROR_KINDS, type ErrorKind } from "./errors.js";
export {
  Registry,
  Persona,
  FORMAT,
  fingerprintOf,
  fillSegments,
  codePoints,
  type Bundle,
  type IndexJson,
  type IndexEntry,
  type ArtifactRecord,
  type ViewRecord,
  type RuntimeVar,
  type Segment,
  type Vars,
  type ViewName,
  type ItemKind,
  type LoadOptions,
  type PromptOptions,
} from "./registry.js";
export { sha256Hex } from "./sha256.js";
