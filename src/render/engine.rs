//! The minijinja environment and its limits: every way a template could run
//! away is bounded here. Fuel bounds the instructions a template runs, a
//! recursion limit its depth, a capped writer the size of what it prints,
//! and filters that allocate by an argument (`indent(999999999999)`) refuse
//! sizes past [`MAX_SIZE_ARGUMENT`]. A panic inside the engine is caught and
//! becomes an error of that one text ([`crate::guard`]).

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, Template, UndefinedBehavior};

/// Instructions a template may run before it is stopped.
pub const FUEL: u64 = 200_000;
/// The most a text or a view may render to.
pub const MAX_OUTPUT: usize = 1 << 20;
/// The largest size a filter argument may ask for (an indent width, a batch
/// or slice count, a format width or precision).
pub const MAX_SIZE_ARGUMENT: i64 = 10_000;

/// Filters whose numeric arguments size what they allocate.
const SIZED_FILTERS: [&str; 3] = ["indent", "batch", "slice"];

/// Why a guarded render failed.
pub enum Failure {
    /// An ordinary template error.
    Template(Error),
    /// The output passed [`MAX_OUTPUT`].
    TooLarge,
    /// The engine panicked (a bug in it), with the panic's message.
    Panic(String),
}

/// The environment every text and layout renders in.
/// Templates load through `source`, by name.
pub fn environment<'s>(source: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Environment<'s> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(64);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // Block tags take their line with them, so `{% if %}` and `{% for %}`
    // on lines of their own leave no blank lines behind.
    let mut syntax = minijinja::syntax::SyntaxConfig::builder();
    syntax.keep_trailing_newline(true).trim_blocks(true).lstrip_blocks(true);
    if let Ok(syntax) = syntax.build() {
        env.set_syntax(syntax);
    }
    bound_filters(&mut env);
    env.set_loader(move |name| Ok(source(name)));
    env
}

/// Replaces the filters that allocate by an argument with ones that refuse
/// sizes past [`MAX_SIZE_ARGUMENT`], then call the built-in.
fn bound_filters(env: &mut Environment<'_>) {
    use minijinja::filters;
    env.add_filter("personac_builtin_indent", filters::indent);
    env.add_filter("personac_builtin_batch", filters::batch);
    env.add_filter("personac_builtin_slice", filters::slice);
    env.add_filter("personac_builtin_format", filters::format);
    for name in SIZED_FILTERS {
        env.add_filter(name, move |state: &mut State, value: Value, args: Rest<Value>, kwargs: Kwargs| -> Result<Value, Error> {
            for arg in args.iter() {
                check_size(name, arg)?;
            }
            for key in kwargs.args() {
                check_size(name, &kwargs.get::<Value>(key)?)?;
            }
            call_builtin(state, name, value, args, Some(kwargs))
        });
    }
    env.add_filter("format", |state: &mut State, value: Value, args: Rest<Value>| -> Result<Value, Error> {
        if let Some(format) = value.as_str() {
            check_format(format)?;
        }
        call_builtin(state, "format", value, args, None)
    });
}

fn call_builtin(state: &mut State, name: &str, value: Value, args: Rest<Value>, kwargs: Option<Kwargs>) -> Result<Value, Error> {
    let mut all = Vec::with_capacity(args.len() + 2);
    all.push(value);
    all.extend(args.iter().cloned());
    if let Some(kwargs) = kwargs.filter(|k| k.args().next().is_some()) {
        all.push(Value::from(kwargs));
    }
    state.apply_filter(&format!("personac_builtin_{name}"), &all)
}

fn too_large(name: &str) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("`{name}` takes sizes up to {MAX_SIZE_ARGUMENT}"))
}

/// Refuses a number past the size limit.
fn check_size(name: &str, arg: &Value) -> Result<(), Error> {
    if let Ok(n) = i64::try_from(arg.clone()) {
        return if n.abs() > MAX_SIZE_ARGUMENT { Err(too_large(name)) } else { Ok(()) };
    }
    if arg.as_i64().is_none() && arg.kind() == minijinja::value::ValueKind::Number {
        // A float or an integer beyond i64.
        let big = f64::try_from(arg.clone()).map_or(true, |f| f.abs() > MAX_SIZE_ARGUMENT as f64);
        if big {
            return Err(too_large(name));
        }
    }
    Ok(())
}

/// Refuses a printf width or precision past the size limit (`%999999999d`).
fn check_format(format: &str) -> Result<(), Error> {
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        rest = &rest[at + 1..];
        let spec: String = rest.chars().take_while(|c| c.is_ascii_digit() || "#0- +.*".contains(*c)).collect();
        for number in spec.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()) {
            if number.len() > 6 || number.parse::<i64>().map_or(true, |n| n > MAX_SIZE_ARGUMENT) {
                return Err(too_large("format"));
            }
        }
        rest = &rest[spec.len().min(rest.len())..];
        if let Some(stripped) = rest.strip_prefix('%') {
            rest = stripped;
        }
    }
    Ok(())
}

/// Collects output up to [`MAX_OUTPUT`], then refuses more.
struct Capped {
    out: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > MAX_OUTPUT {
            self.overflowed = true;
            return Err(std::io::Error::other("output too large"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders a template with every limit in force.
pub fn render(template: &Template<'_, '_>, ctx: Value) -> Result<String, Failure> {
    let caught = crate::guard::catch(|| {
        let mut capped = Capped { out: Vec::new(), overflowed: false };
        let result = template.render_captured_to(ctx, &mut capped).map(drop);
        (result, capped)
    });
    match caught {
        Err(panic) => Err(Failure::Panic(panic)),
        Ok((_, capped)) if capped.overflowed => Err(Failure::TooLarge),
        Ok((Err(err), _)) => Err(Failure::Template(err)),
        Ok((Ok(()), capped)) => Ok(String::from_utf8(capped.out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(source: &str) -> Result<String, String> {
        let source = source.to_string();
        let env = environment(move |name| (name == "t").then(|| source.clone()));
        let template = env.get_template("t").map_err(|e| e.to_string())?;
        render(&template, Value::from(())).map_err(|f| match f {
            Failure::Template(e) => format!("template: {e}"),
            Failure::TooLarge => "too large".into(),
            Failure::Panic(p) => format!("panic: {p}"),
        })
    }

    #[test]
    fn runaway_templates_are_refused_not_fatal() {
        assert!(run("{% for a in [1] %}{{ loop.cycle() }}{% endfor %}").is_err_and(|e| e.starts_with("panic: ")));
        assert!(run("{{ 'x'|indent(999999999999) }}").is_err_and(|e| e.contains("sizes up to")));
        assert!(run("{{ 'x'|indent(width=999999999) }}").is_err_and(|e| e.contains("sizes up to")));
        assert!(run("{{ [1]|batch(99999999999, 'x') }}").is_err_and(|e| e.contains("sizes up to")));
        assert!(run("{{ [1]|slice(99999999999) }}").is_err_and(|e| e.contains("sizes up to")));
        assert!(run("{{ '%999999999999d'|format(1) }}").is_err_and(|e| e.contains("sizes up to")));
        assert_eq!(run("{{ 'x' * 2000000 }}"), Err("too large".into()));
        // Ordinary uses still work.
        assert_eq!(run("{{ 'a\nb'|indent(2) }}"), Ok("a\n  b".into()));
        assert_eq!(run("{{ '%5d|%s'|format(42, 'x') }}"), Ok("   42|x".into()));
        assert_eq!(run("{{ [1, 2, 3]|batch(2)|list }}"), Ok("[[1, 2], [3]]".into()));
        assert_eq!(run("{{ 'a\nb'|indent(width=1, first=true) }}"), Ok(" a\n b".into()));
    }
}
