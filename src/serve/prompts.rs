//! Personas as MCP prompts: each concrete persona, and each of its
//! channels (`maya`, `maya:voice`), is a prompt whose arguments are its
//! open runtime variables; getting one answers its detail view, filled
//! from the build's record of those variables (split by its segments, as
//! every loader fills a view: never by replacing text).

use std::collections::BTreeMap;

use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

use crate::artifacts;
use crate::model::{Request, ResolvedPersona};
use crate::project::Project;
use crate::render::View;

/// A prompt's name: the persona, and `:CHANNEL` for a channel.
fn prompt_name(persona: &str, channel: Option<&str>) -> String {
    match channel {
        Some(c) => format!("{persona}:{c}"),
        None => persona.to_string(),
    }
}

/// The runtime variables a caller fills: declared, without a value in `vars`.
fn arguments(resolved: &ResolvedPersona) -> Vec<PromptArgument> {
    resolved
        .runtime_decls
        .iter()
        .filter(|d| !resolved.vars.contains_key(&d.name.value))
        .map(|d| {
            let argument = PromptArgument::new(d.name.value.clone()).with_required(d.default.is_none());
            match &d.description {
                Some(description) => argument.with_description(description.clone()),
                None => argument,
            }
        })
        .collect()
}

/// Every concrete persona and each of its channels, in name order. A
/// persona that does not resolve is left out (`check` reports it).
pub fn list(project: &Project) -> Vec<Prompt> {
    let catalog = &project.catalog;
    let rows = crate::describe::list(catalog, &project.renderer, crate::model::Kind::Persona, None, None);
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| !r.is_abstract) {
        let Ok(base) = catalog.resolve(&row.name, &Request::default()) else { continue };
        let description = row.description.clone().unwrap_or_else(|| format!("persona `{}`", row.name));
        out.push(Prompt::new(prompt_name(&row.name, None), Some(description.clone()), Some(arguments(&base))));
        for channel in &base.channels {
            let request = Request { channel: Some(channel.clone()), ..Request::default() };
            let Ok(resolved) = catalog.resolve(&row.name, &request) else { continue };
            let described = format!("{description} (channel `{channel}`)");
            out.push(Prompt::new(prompt_name(&row.name, Some(channel)), Some(described), Some(arguments(&resolved))));
        }
    }
    out
}

/// The detail view of the prompt `name`, its runtime variables filled with
/// `values`; the error is the message of an invalid-params answer.
pub fn get(project: &Project, name: &str, values: Option<&serde_json::Map<String, Value>>) -> Result<GetPromptResult, String> {
    let (persona, channel) = match name.split_once(':') {
        Some((p, c)) => (p, Some(c.to_string())),
        None => (name, None),
    };
    let catalog = &project.catalog;
    if catalog.personas.get(persona).is_none_or(|p| p.is_abstract) {
        let mut msg = format!("no prompt named `{name}`");
        let names: Vec<String> = list(project).into_iter().map(|p| p.name).collect();
        if let Some(best) = crate::diag::did_you_mean(name, names.iter().map(String::as_str)) {
            msg.push_str(&format!("; did you mean `{best}`?"));
        }
        return Err(msg);
    }
    let resolved = catalog.resolve(persona, &Request { channel, ..Request::default() }).map_err(|e| match e {
        crate::resolve::ResolveError::Request(msg) => msg.replace("\n  help: ", "; "),
        crate::resolve::ResolveError::Definitions(_) => format!("persona `{persona}` does not resolve; `personac check` shows why"),
    })?;
    let mut filled = BTreeMap::new();
    for (key, value) in values.into_iter().flatten() {
        match value {
            Value::String(s) => _ = filled.insert(key.clone(), s.clone()),
            other => return Err(format!("argument `{key}` must be a string, found {other}")),
        }
    }
    let (fitted, record) = artifacts::recorded_view(&project.renderer, &project.tokenizer, &resolved, View::Detail)
        .map_err(|_| format!("persona `{persona}` does not compile; `personac check` shows why"))?;
    let text = match record {
        Some(record) => record.fill(&filled, &resolved.runtime_decls)?,
        None => {
            artifacts::fill_checked(&filled, &resolved.runtime_decls)?;
            fitted.text
        }
    };
    let description = match &resolved.channel {
        Some(c) => format!("the detail view of persona `{persona}` on channel `{c}`"),
        None => format!("the detail view of persona `{persona}`"),
    };
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).with_description(description))
}
