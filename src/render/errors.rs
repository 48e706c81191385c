//! Template errors as diagnostics: each placed in the file, inside the text
//! that caused it (through the text's line starts), with the fix.

use std::sync::Arc;

use minijinja::{ErrorKind, Value};

use super::Renderer;
use super::engine::{FUEL, Failure, MAX_OUTPUT};
use crate::diag::{Diagnostic, code};
use crate::model::file_offset;

impl Renderer {
    /// The diagnostic of a guarded render that failed.
    pub(super) fn failure(&self, id: &str, failure: Failure, ctx: &Value) -> Diagnostic {
        let (file, span, what) = match self.origins.get(id) {
            Some(o) => (o.file.clone(), o.span.clone(), o.what.clone()),
            None => (Arc::from("<builtin>"), 0..0, "a built-in layout".to_string()),
        };
        match failure {
            Failure::Template(err) => self.template_error(id, err, ctx),
            Failure::TooLarge => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("{what} renders to more than {} MiB", MAX_OUTPUT >> 20))
                .at(&file, span)
                .help("a text may render to at most 1 MiB; look for a loop or a repetition that runs away"),
            Failure::Panic(panic) => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("the template engine failed on {what}"))
                .at(&file, span)
                .help(format!("this is a bug in the template engine (minijinja), caught by personac: {panic}"))
                .help("rewrite the template around the construct that fails, and please report it"),
        }
    }

    pub(super) fn template_error(&self, id: &str, err: minijinja::Error, ctx: &Value) -> Diagnostic {
        let Some(origin) = self.origins.get(id) else {
            return Diagnostic::error(code::TEMPLATE_RUNTIME, format!("built-in layout failed: {err}"));
        };
        // The innermost error names the template that failed (an include, say).
        let (id, err) = match err.name() {
            Some(name) if name != id && self.origins.source(name).is_some() => (name.to_string(), err),
            _ => (id.to_string(), err),
        };
        let origin = self.origins.get(&id).unwrap_or(origin);
        let at = |offset| file_offset(&origin.lines, offset);
        let span = match err.range().map(|r| (at(r.start), at(r.end))) {
            Some((Some(start), Some(end))) if end >= start => start..end,
            _ => origin.span.clone(),
        };
        let literal = "if the braces are text for the model, not a template: wrap them in `{% raw %}…{% endraw %}`, or set `template = false` on the definition";
        match err.kind() {
            ErrorKind::SyntaxError
            | ErrorKind::UnknownFilter
            | ErrorKind::UnknownTest
            | ErrorKind::UnknownFunction
            | ErrorKind::BadEscape => {
                // An unterminated `{#`, `{{` or `{%` is reported at the end of
                // the text; the opener is where the fix goes.
                let opener = message(&err)
                    .starts_with("unexpected end of")
                    .then(|| self.origins.source(&id).and_then(|source| unclosed_opener(source)))
                    .flatten()
                    .and_then(|(start, len)| Some(at(start)?..at(start + len)?));
                let (span, label) = match opener {
                    Some(opener) => (opener, Some("opened here, never closed")),
                    None => (span, None),
                };
                let diag = Diagnostic::error(code::TEMPLATE_SYNTAX, format!("template error in {}: {}", origin.what, message(&err)))
                    .at(&origin.file, span)
                    .help("text fields are minijinja (Jinja2) templates: `{{ name }}` prints a variable, `{% if %}` and `{% for %}` are tags, `{# … #}` is a comment");
                let diag = if origin.layout { diag } else { diag.help(literal) };
                match label {
                    Some(label) => diag.label(label),
                    None => diag,
                }
            }
            ErrorKind::UndefinedError => {
                let missing = self.missing_variables(&id, ctx);
                let message = match missing.as_slice() {
                    [] => format!("undefined value in {}", origin.what),
                    [one] => format!("undefined variable `{one}` in {}", origin.what),
                    many => format!(
                        "undefined variables {} in {}",
                        many.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                        origin.what
                    ),
                };
                let layout = origin.layout;
                let help = match missing.first() {
                    _ if layout => "layouts see `persona` (name, title, version, summary, description, detail, tags), `text`, `view`, `parts`, `sections`, `traits`, `skills`, `guardrails`, `on_demand`, `stage` and `channel` (docs/templates.md); check the name".to_string(),
                    Some(first) => format!(
                        "define `{first}` in `[vars]` of personac.toml or of the persona, or list it in the persona's `runtime_vars` to leave it for the caller"
                    ),
                    None => "a variable's attribute or item is missing; check its name".to_string(),
                };
                let mut diag = Diagnostic::error(code::UNDEFINED_VARIABLE, message).at(&origin.file, span);
                // Every variable in scope ([vars], the persona's and its
                // ancestors', the channel's, the runtime ones) is a candidate.
                if let [one] = missing.as_slice() {
                    let in_scope: Vec<String> =
                        ctx.try_iter().map(|keys| keys.filter_map(|k| k.as_str().map(str::to_string)).collect()).unwrap_or_default();
                    if let Some(best) = crate::diag::did_you_mean(one, in_scope.iter().map(String::as_str)) {
                        diag = diag.help(format!("did you mean `{best}`?"));
                    }
                }
                let diag = diag.help(help);
                if layout { diag } else { diag.help(literal) }
            }
            ErrorKind::OutOfFuel => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("template in {} does too much work", origin.what))
                .at(&origin.file, span)
                .help(format!("templates may run at most {FUEL} instructions; simplify its loops")),
            _ => Diagnostic::error(code::TEMPLATE_RUNTIME, format!("template error in {}: {}", origin.what, message(&err)))
                .at(&origin.file, span),
        }
    }

    /// A runtime variable used other than bare, at byte `at` of the source.
    pub(super) fn runtime_misuse(&self, id: &str, var: &str, at: usize) -> Diagnostic {
        let Some(origin) = self.origins.get(id) else {
            return Diagnostic::error(code::RUNTIME_VARIABLE, format!("runtime variable `{var}` is used inside an expression"));
        };
        let span = file_offset(&origin.lines, at).map_or_else(|| origin.span.clone(), |start| start..start + var.len());
        Diagnostic::error(code::RUNTIME_VARIABLE, format!("runtime variable `{var}` is used inside an expression in {}", origin.what))
            .at(&origin.file, span)
            .label("its value is not known when compiling")
            .help(format!(
                "a runtime variable is filled by the caller after compiling, so it can only be left as `{{{{ {var} }}}}` on its own: a filter, a condition or a loop cannot see its value"
            ))
            .help(format!("write `{{{{ {var} }}}}` bare, or give `{var}` a value in `[vars]` so that it is not left for the caller"))
    }

    /// Top-level variables a template uses that the context lacks.
    fn missing_variables(&self, id: &str, ctx: &Value) -> Vec<String> {
        let Ok(template) = self.env.get_template(id) else { return Vec::new() };
        let mut missing: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| ctx.get_attr(v).map_or(true, |x| x.is_undefined()) && self.env.globals().all(|(g, _)| g != v))
            .collect();
        missing.sort();
        missing
    }
}

pub(super) fn message(err: &minijinja::Error) -> String {
    err.detail().map_or_else(|| err.kind().to_string(), ToString::to_string)
}

/// The byte offset and length of the last `{{`, `{%` or `{#` in `source`
/// that is never closed.
fn unclosed_opener(source: &str) -> Option<(usize, usize)> {
    let mut at = 0;
    let mut unclosed = None;
    while let Some(i) = source[at..].find('{').map(|i| at + i) {
        let closer = match source.get(i + 1..i + 2) {
            Some("{") => "}}",
            Some("%") => "%}",
            Some("#") => "#}",
            _ => {
                at = i + 1;
                continue;
            }
        };
        match source[i + 2..].find(closer) {
            Some(end) => at = i + 2 + end + 2,
            None => {
                unclosed = Some((i, 2));
                break;
            }
        }
    }
    unclosed
}

#[cfg(test)]
mod tests {
    use super::unclosed_opener;

    #[test]
    fn the_unclosed_opener_is_found() {
        assert_eq!(unclosed_opener("Warm {# note"), Some((5, 2)));
        assert_eq!(unclosed_opener("{{ a }} and {% if x %} then {{ b"), Some((28, 2)));
        assert_eq!(unclosed_opener("{# fine #} {{ ok }}"), None);
        assert_eq!(unclosed_opener("{ just braces }"), None);
    }
}
