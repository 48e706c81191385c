//! Checks a tool call's arguments against the tool's input schema before the
//! tool runs, so that a bad argument is answered as SPEC section 7 says: a
//! tool result with `isError: true` whose text names the argument, what was
//! expected and, where it helps, a did-you-mean. Unknown arguments are
//! refused, never ignored.

use serde_json::{Map, Value};

/// JSON types a schema's `type` names, and whether a value is of one.
fn is_of(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "object" | "array" => format!("an {kind}"),
        "null" => "null".into(),
        _ => format!("a {kind}"),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The types a property schema allows (empty: anything).
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Checks one value against a property schema: its type, an integer's
/// minimum, and the type of an array's items or an object's values.
fn check_value(name: &str, schema: &Value, value: &Value) -> Result<(), String> {
    let allowed = types(schema);
    if !allowed.is_empty() && !allowed.iter().any(|t| is_of(t, value)) {
        let expected: Vec<String> = allowed.iter().filter(|t| **t != "null").map(|t| article(t)).collect();
        return Err(format!("argument `{name}` must be {}, found {}", expected.join(" or "), describe(value)));
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < min
    {
        return Err(format!("argument `{name}` must be at least {min}, found {n}"));
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            check_value(&format!("{name}[{i}]"), items, item)?;
        }
    }
    if let (Some(values), Some(map)) = (schema.get("additionalProperties").filter(|v| v.is_object()), value.as_object()) {
        for (key, item) in map {
            check_value(&format!("{name}.{key}"), values, item)?;
        }
    }
    Ok(())
}

/// Checks a tool's arguments against its input schema; the error is the
/// text of the error result.
pub fn check(tool: &str, schema: &Map<String, Value>, arguments: Option<&Map<String, Value>>) -> Result<(), String> {
    let empty = Map::new();
    let arguments = arguments.unwrap_or(&empty);
    let properties = schema.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    let names = || {
        let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
        names.sort();
        names
    };
    for key in arguments.keys() {
        if !properties.contains_key(key) {
            let mut message = format!("unknown argument `{key}` for tool `{tool}`");
            if let Some(best) = crate::diag::did_you_mean(key, names()) {
                message.push_str(&format!("; did you mean `{best}`?"));
            }
            if properties.is_empty() {
                message.push_str("; it takes no arguments");
            } else {
                message.push_str(&format!("; its arguments are: {}", names().join(", ")));
            }
            return Err(message);
        }
    }
    for required in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !arguments.contains_key(required) {
            let what = properties.get(required).map(types).unwrap_or_default();
            let expected = what.iter().find(|t| **t != "null").map(|t| format!(" ({})", article(t))).unwrap_or_default();
            return Err(format!("missing argument `{required}`{expected} for tool `{tool}`"));
        }
    }
    for (key, value) in arguments {
        check_value(key, &properties[key], value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Map<String, Value> {
        json!({
            "type": "object",
            "properties": {
                "name": { "type": "string" },
                "limit": { "type": ["integer", "null"], "minimum": 0 },
                "types": { "type": ["array", "null"], "items": { "type": "string" } },
                "overrides": { "type": "object", "additionalProperties": { "type": "string" } },
            },
            "required": ["name"],
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn check_args(args: Value) -> Result<(), String> {
        check("get_agent_persona", &schema(), args.as_object())
    }

    #[test]
    fn each_bad_argument_is_named() {
        assert_eq!(check_args(json!({"name": "maya", "limit": 2})), Ok(()));
        assert_eq!(check_args(json!({"name": "maya", "limit": null})), Ok(()));
        assert_eq!(
            check_args(json!({"name": "maya", "limt": 2})),
            Err("unknown argument `limt` for tool `get_agent_persona`; did you mean `limit`?; its arguments are: limit, name, overrides, types".into())
        );
        assert_eq!(check_args(json!({})), Err("missing argument `name` (a string) for tool `get_agent_persona`".into()));
        assert_eq!(check_args(json!({"name": 42})), Err("argument `name` must be a string, found an integer".into()));
        assert_eq!(check_args(json!({"name": "m", "limit": -1})), Err("argument `limit` must be at least 0, found -1".into()));
        assert_eq!(
            check_args(json!({"name": "m", "types": ["tone", 3]})),
            Err("argument `types[1]` must be a string, found an integer".into())
        );
        assert_eq!(
            check_args(json!({"name": "m", "overrides": {"tone": 1}})),
            Err("argument `overrides.tone` must be a string, found an integer".into())
        );
    }
}
