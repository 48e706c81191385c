//! JSON Schemas (draft-07) of the file formats, for editors: taplo for TOML,
//! the YAML language server for YAML, any JSON editor through `$schema`. A schema describes a file's fields (or
//! a Markdown file's front matter). It mirrors the rules of the parse room;
//! the parse room, not the schema, is what personac enforces.

use serde_json::{Value, json};

use crate::model::{Kind, PART_TYPES, SEVERITIES, TRAIT_TYPES};
use crate::tokens::ENCODINGS;

const NAME: &str = "^[a-z0-9][a-z0-9_-]{0,63}$";
const IDENTIFIER: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
const SEMVER: &str = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$";

/// Every schema, by file name: `personac.schema.json`, `persona.schema.json`…,
/// and the artifacts' `index.schema.json`, `manifest.schema.json` and
/// `sources.schema.json`.
pub fn all() -> Vec<(String, Value)> {
    let mut schemas = vec![("personac.schema.json".to_string(), config())];
    schemas.extend(Kind::ALL.iter().map(|k| (format!("{k}.schema.json"), kind(*k))));
    schemas.push(("agent-skill.schema.json".to_string(), agent_skill()));
    schemas.extend(ARTIFACTS.iter().map(|(name, _)| (format!("{name}.schema.json"), artifact(name).unwrap_or_default())));
    schemas
}

/// The schemas of the build output's `index.json`, `manifest.json` and
/// source records (format 2), documented with the rest of the format in
/// docs/artifacts.md. Written by hand beside that page, which they are
/// part of.
const ARTIFACTS: [(&str, &str); 3] = [
    ("index", include_str!("../docs/schemas/index.schema.json")),
    ("manifest", include_str!("../docs/schemas/manifest.schema.json")),
    ("sources", include_str!("../docs/schemas/sources.schema.json")),
];

/// The schema of an artifact file: `index`, `manifest` or `sources`.
pub fn artifact(name: &str) -> Option<Value> {
    ARTIFACTS.iter().find(|(n, _)| *n == name).and_then(|(_, text)| serde_json::from_str(text).ok())
}

fn name(description: &str) -> Value {
    json!({ "type": "string", "pattern": NAME, "description": description })
}

fn names(description: &str) -> Value {
    json!({ "type": "array", "items": { "type": "string", "pattern": NAME }, "description": description })
}

fn load() -> Value {
    json!({ "type": "string", "enum": ["inline", "on_demand"], "default": "inline", "description": "on_demand: listed in the detail view for the agent to fetch, instead of inlined." })
}

fn links(description: &str) -> Value {
    json!({ "type": "array", "description": description, "items": { "oneOf": [
        { "type": "string", "pattern": NAME },
        { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
            "name": { "type": "string", "pattern": NAME },
            "load": load(),
        }},
    ]}})
}

fn text(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn document(title: &str, description: &str, mut properties: serde_json::Map<String, Value>, required: &[&str]) -> Value {
    properties.insert("name".into(), name("Optional: the definition's name, which must equal the file name."));
    properties.insert("description".into(), text("What this definition is, in one line (shown in manifests and listings)."));
    properties
        .insert("tags".into(), json!({ "type": "array", "items": { "type": "string" }, "description": "Free labels, for filtering." }));
    properties.insert(
        "template".into(),
        json!({ "type": "boolean", "default": true, "description": "false: the texts are literal, never rendered as templates ({{ }}, {% %} and {# #} reach the model as written)." }),
    );
    properties.insert("$schema".into(), json!({ "type": "string", "description": "A JSON file's schema, for editors." }));
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn props(pairs: Vec<(&str, Value)>) -> serde_json::Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A persona needs a version unless it is abstract.
fn versioned(mut schema: Value) -> Value {
    schema["anyOf"] = json!([
        { "required": ["version"] },
        { "required": ["abstract"], "properties": { "abstract": { "const": true } } },
    ]);
    schema
}

/// The front matter of a `SKILL.md` in the Agent Skills form, with the
/// specification's limits (what personac checks when it reads one).
pub fn agent_skill() -> Value {
    use crate::parse::skill_folder::{COMPATIBILITY_MAX, DESCRIPTION_MAX, NAME_MAX};
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Agent Skills SKILL.md",
        "description": "The front matter of skills/…/NAME/SKILL.md (agentskills.io); the Markdown body is the skill's content.",
        "type": "object",
        "properties": {
            "name": { "type": "string", "maxLength": NAME_MAX, "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "description": "The skill's name: its folder's name." },
            "description": { "type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX, "description": "What the skill does and when to use it: agents choose skills by it." },
            "license": { "type": "string", "description": "The license's name, or the file of the folder that holds it." },
            "compatibility": { "type": "string", "maxLength": COMPATIBILITY_MAX, "description": "What the skill needs of its environment." },
            "metadata": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Strings to strings; `personac.template: \"true\"` renders the skill's texts as templates." },
            "allowed-tools": { "type": "string", "description": "Tools the skill may use, separated by spaces." },
        },
        "required": ["name", "description"],
        "additionalProperties": false,
    })
}

/// The schema of one kind's fields.
pub fn kind(kind: Kind) -> Value {
    let body = |field: &str| format!("The {field}; in a `.md` file, the Markdown body instead.");
    match kind {
        Kind::Persona => versioned(document(
            "personac persona",
            "A persona: personas/NAME.toml, .yaml, .json, or .md (front matter; the body is `detail`).",
            props(vec![
                (
                    "version",
                    json!({ "type": "string", "pattern": SEMVER, "description": "Semantic version, raised whenever the compiled output changes." }),
                ),
                (
                    "abstract",
                    json!({ "type": "boolean", "default": false, "description": "true: a base to extend, never compiled, served or version-gated on its own; needs no version." }),
                ),
                ("title", text("The display name that heads the views (default: the name, title-cased).")),
                (
                    "headings",
                    json!({ "type": "string", "enum": ["standard", "own"], "default": "standard", "description": "own: the detail view shows only the headings the definitions wrote (no title line; a guardrail or skill with a title is a section of its own under it). Imports set it, so that an imported prompt exported again is the one imported." }),
                ),
                ("summary", text("Who the persona is, in one sentence (the summary view). Required unless `extends` gives it.")),
                ("detail", text(&body("full instructions (the detail view)"))),
                ("extends", name("The persona this one inherits from.")),
                (
                    "parts",
                    json!({
                        "type": "array",
                        "description": "Parts, by name or as `{ name, order, priority, mode, load }`.",
                        "items": { "oneOf": [
                            { "type": "string", "pattern": NAME },
                            { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                                "name": { "type": "string", "pattern": NAME },
                                "order": { "type": "integer", "description": "Place in the assembly (default 0)." },
                                "priority": { "type": "integer", "description": "What survives a token budget; lowest dropped first (default 0)." },
                                "mode": { "type": "string", "enum": ["replace", "append"], "default": "replace", "description": "replace: take the place of the inherited parts of its type; append: join them." },
                                "load": load(),
                            }},
                        ]},
                    }),
                ),
                ("traits", links("Traits, by name or as `{ name, load }`.")),
                ("skills", links("Skills, by name or as `{ name, load }`.")),
                ("guardrails", names("Guardrails, by name (always inline).")),
                ("model", text("The model the runtime should run the persona on (never rendered into the prompt).")),
                (
                    "tools",
                    json!({ "type": "array", "items": { "type": "string" }, "description": "The tools the runtime grants (never rendered into the prompt); [] means none, absent means the runtime's default." }),
                ),
                (
                    "metadata",
                    json!({ "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] }, "description": "Other runtime settings: strings, numbers and booleans (inherited; never rendered into the prompt)." }),
                ),
                (
                    "arc",
                    json!({ "oneOf": [
                        { "type": "string", "pattern": NAME },
                        { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                            "name": { "type": "string", "pattern": NAME },
                            "stage": { "type": "string", "pattern": NAME, "description": "The current stage (default: the first)." },
                        }},
                    ], "description": "The character arc the persona follows." }),
                ),
                (
                    "runtime_vars",
                    json!({ "type": "array", "description": "Variables left as {{ name }} for the caller to fill: a name, or a table with a description, a default and a maximum length in characters.", "items": { "oneOf": [
                        { "type": "string", "pattern": IDENTIFIER },
                        { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                            "name": { "type": "string", "pattern": IDENTIFIER },
                            "description": { "type": "string" },
                            "default": { "type": "string", "description": "Filled when the caller gives no value." },
                            "max_length": { "type": "integer", "minimum": 1, "description": "In characters (Unicode code points); the loaders refuse a longer value." },
                        } },
                    ] } }),
                ),
                (
                    "budget",
                    json!({ "type": "object", "additionalProperties": false, "required": ["max_tokens"], "properties": {
                        "max_tokens": { "type": "integer", "minimum": 1 },
                    }}),
                ),
                ("vars", json!({ "type": "object", "propertyNames": { "pattern": IDENTIFIER }, "description": "Template variables." })),
                (
                    "channels",
                    json!({ "type": "object", "propertyNames": { "pattern": NAME }, "description": "Channel variants, e.g. `voice`.",
                        "additionalProperties": { "type": "object", "additionalProperties": false, "properties": {
                            "overrides": { "type": "object", "additionalProperties": { "type": "string", "pattern": NAME }, "description": "Part type to part." },
                            "vars": { "type": "object", "propertyNames": { "pattern": IDENTIFIER } },
                        }},
                    }),
                ),
            ]),
            &[],
        )),
        Kind::Part => document(
            "personac part",
            "A reusable prompt piece: parts/NAME.toml, .yaml, .json, or .md (the body is `content`).",
            props(vec![
                (
                    "type",
                    json!({ "type": "string", "description": format!("The part type: {} (or one declared in personac.toml).", PART_TYPES.join(", ")), "examples": PART_TYPES }),
                ),
                ("summary", text("What the part says, in one line (the summary view).")),
                ("content", text(&body("full text (the detail view)"))),
                ("title", text("Its own heading in the views (default: its type's, shared with the other parts of its type).")),
            ]),
            &["type", "summary"],
        ),
        Kind::Trait => document(
            "personac trait",
            "A trait: traits/NAME.toml, .yaml, .json, or .md (the body is `instruction`).",
            props(vec![
                ("type", json!({ "type": "string", "enum": TRAIT_TYPES })),
                ("instruction", text(&body("instruction: how the persona shows the trait"))),
            ]),
            &["type", "description"],
        ),
        Kind::Skill => document(
            "personac skill",
            "A skill: skills/NAME.toml, .yaml, .json, or .md (the body is `content`).",
            props(vec![
                ("content", text(&body("instructions for using the skill"))),
                ("title", text("Its heading in the views (default: its name).")),
            ]),
            &["description"],
        ),
        Kind::Guardrail => document(
            "personac guardrail",
            "A guardrail: guardrails/NAME.toml, .yaml, .json, or .md (the body is `content`).",
            props(vec![
                ("content", text(&body("rule, stated plainly"))),
                ("severity", json!({ "type": "string", "enum": SEVERITIES, "default": "medium" })),
                ("title", text("Its heading in the views (default: its name and severity).")),
            ]),
            &["description"],
        ),
        Kind::Arc => document(
            "personac arc",
            "A character arc: arcs/NAME.toml, .yaml or .json, ordered stages that swap parts in.",
            props(vec![
                ("summary", text("Where the arc goes.")),
                (
                    "stages",
                    json!({ "type": "array", "minItems": 1, "items": { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                        "name": { "type": "string", "pattern": NAME },
                        "description": { "type": "string" },
                        "condition": { "type": "string", "description": "When the stage is reached; evaluated by the calling agent." },
                        "parts": { "type": "array", "description": "Parts that replace the persona's parts of the same type (or, with mode append, join them).", "items": { "oneOf": [
                            { "type": "string", "pattern": NAME },
                            { "type": "object", "additionalProperties": false, "required": ["name"], "properties": {
                                "name": { "type": "string", "pattern": NAME },
                                "mode": { "type": "string", "enum": ["replace", "append"], "default": "replace" },
                            }},
                        ]}},
                    }}}),
                ),
            ]),
            &["stages"],
        ),
    }
}

/// The schema of `personac.toml`.
pub fn config() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "personac.toml",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "out_dir": { "type": "string", "default": "build-output", "description": "Where `personac build` writes." },
            "encoding": { "type": "string", "enum": ENCODINGS, "default": "o200k_base", "description": "Tokenizer for token counts and budgets." },
            "provenance": { "type": "boolean", "default": true, "description": "Whether `personac build` writes each view's source records beside it (`detail.sources.json`); false leaves them out." },
            "part_types": { "type": "array", "items": { "type": "string", "pattern": NAME }, "description": "Part types beyond the built-in ones." },
            "vars": { "type": "object", "propertyNames": { "pattern": IDENTIFIER }, "description": "Project-wide template variables." },
            "lints": {
                "type": "object",
                "description": "Each lint's level, by name (docs/diagnostics.md).",
                "additionalProperties": false,
                "properties": crate::rules::LINTS.iter().map(|(_, name)| (name.to_string(), json!({ "type": "string", "enum": ["allow", "warn", "deny"], "default": "warn" }))).collect::<serde_json::Map<_, _>>(),
            },
            "preview": {
                "type": "object",
                "description": "`personac preview`'s page.",
                "additionalProperties": false,
                "properties": {
                    "editor_url": { "type": "string", "default": crate::rules::EDITOR_URL, "description": "The link a source line opens: {path} (absolute), {file} (in the repository) and {line} are filled, e.g. \"idea://open?file={path}&line={line}\"." },
                },
            },
        },
    })
}
