//! YAML edits that rewrite only the lines of the edited top-level key.
//!
//! YAML has no editing library that keeps comments and layout, so this edits
//! text: a flow list on one line (`traits: [a, b]`), a block list (`- a`
//! lines, indented or at the key's own column), a flow or block `arc`
//! mapping. Anything else (anchors, aliases, tags, flow collections over
//! several lines) is refused with the reason: the caller says so and
//! changes nothing. Every result is re-parsed by the caller to confirm it.

use super::change::{Change, LinkField};

/// A top-level key's lines: `[start, end)` line indices.
struct Entry {
    start: usize,
    end: usize,
}

fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

fn is_top_level_key(line: &str, key: &str) -> bool {
    line.strip_prefix(key).is_some_and(|rest| rest.starts_with(':'))
}

/// Finds a top-level key; its block runs to the next line at column 0 that
/// is not blank (comments at column 0 end it too), except that the items of
/// a block list may sit at the key's own column (`parts:` then `- a`), as
/// PyYAML, Go's yaml and most people write them.
fn find(lines: &[String], key: &str) -> Option<Entry> {
    let start = lines.iter().position(|l| is_top_level_key(l, key))?;
    let empty_value = split_comment(&lines[start][key.len() + 1..]).0.trim().is_empty();
    let mut end = start + 1;
    while end < lines.len() {
        let l = &lines[end];
        let list_item = empty_value && (l.starts_with("- ") || l.trim_end() == "-");
        if !l.trim().is_empty() && !l.starts_with([' ', '\t']) && !list_item {
            break;
        }
        end += 1;
    }
    // Trailing blank lines belong to what follows.
    while end > start + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    Some(Entry { start, end })
}

/// Splits `value # comment` into the value and the rest (with its spaces).
fn split_comment(rest: &str) -> (&str, &str) {
    let mut quote = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if i == 0 || rest[..i].ends_with([' ', '\t']) => {
                let value = rest[..i].trim_end();
                return (value, &rest[value.len()..]);
            }
            _ => {}
        }
    }
    let value = rest.trim_end();
    (value, &rest[value.len()..])
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"').and_then(|x| x.strip_suffix('"')).or_else(|| s.strip_prefix('\'').and_then(|x| x.strip_suffix('\''))).unwrap_or(s)
}

/// A name as a YAML scalar: plain unless YAML would read it as something else.
fn scalar(name: &str) -> String {
    let special = ["true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"];
    if name.parse::<f64>().is_ok() || special.contains(&name.to_ascii_lowercase().as_str()) {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

fn link_item(name: &str, order: Option<i64>, priority: Option<i64>) -> String {
    if order.is_none() && priority.is_none() {
        return scalar(name);
    }
    let mut fields = vec![format!("name: {}", scalar(name))];
    if let Some(o) = order {
        fields.push(format!("order: {o}"));
    }
    if let Some(p) = priority {
        fields.push(format!("priority: {p}"));
    }
    format!("{{ {} }}", fields.join(", "))
}

/// Splits the inside of a one-line flow collection at top-level commas.
fn split_flow(inner: &str) -> Option<Vec<String>> {
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    let mut items = Vec::new();
    for (i, c) in inner.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                items.push(inner[start..i].to_string());
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    if !inner[start..].trim().is_empty() || !items.is_empty() {
        items.push(inner[start..].to_string());
    }
    Some(items)
}

/// The name a flow or block list item links.
fn item_name(item: &str) -> Option<String> {
    let item = item.trim();
    if let Some(inner) = item.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
        for pair in split_flow(inner)? {
            if let Some((k, v)) = pair.split_once(':')
                && k.trim() == "name"
            {
                return Some(unquote(v).to_string());
            }
        }
        return None;
    }
    if let Some(rest) = item.strip_prefix("name:") {
        return Some(unquote(split_comment(rest).0).to_string());
    }
    Some(unquote(item).to_string())
}

const ANCHORS: &str = "uses a YAML anchor, alias or tag (`&`, `*`, `!`), which a line edit could break; change it by hand";
const MULTI_LINE_FLOW: &str =
    "is a flow collection (`[…]` or `{…}`) over several lines, which personac does not edit; write it on one line, or as `- item` lines";
const UNREADABLE: &str = "is followed by lines personac cannot read as `- item` entries; change it by hand";

pub(super) fn edit(fields: &str, change: &Change) -> Result<String, String> {
    let mut lines = lines(fields);
    if lines.last().is_some_and(|l| !l.ends_with('\n')) {
        let last = lines.len() - 1;
        lines[last].push('\n');
    }
    if lines.iter().any(|l| l.starts_with("---") || l.starts_with("...")) {
        return Err("the YAML holds more than one document; change it by hand".into());
    }
    match change {
        Change::Link { field, name, order, priority } => link(&mut lines, *field, &link_item(name, *order, *priority))?,
        Change::Unlink { field, name } => unlink(&mut lines, *field, name)?,
        Change::SetArc { name, stage } => set_arc(&mut lines, name, stage.as_deref())?,
    }
    let mut out = lines.concat();
    if !fields.ends_with('\n') && out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

fn check_safe(lines: &[String], entry: &Entry) -> Result<(), String> {
    for l in &lines[entry.start..entry.end] {
        let (value, _) = split_comment(l);
        if value.contains(['&', '*', '!']) && !value.contains(['"', '\'']) {
            return Err(format!("`{}` {ANCHORS}", lines[entry.start].split(':').next().unwrap_or_default()));
        }
    }
    Ok(())
}

/// A list-valued key's first line: the space after `key:`, and the comment.
struct Head {
    lead: String,
    comment: String,
}

/// How a list is written.
enum List {
    /// `key: [a, b]`, on its line alone: the text between the brackets.
    Flow(String),
    /// `key:` then `- a` lines.
    Block,
}

/// Reads a list-valued key, refusing what a line edit could break.
fn list(lines: &[String], entry: &Entry, key: &str) -> Result<(Head, List), String> {
    check_safe(lines, entry)?;
    let head = &lines[entry.start][key.len() + 1..];
    let (value, comment) = split_comment(head);
    let value = value.trim();
    let lead = head[..head.len() - head.trim_start().len()].to_string();
    let head = Head { lead, comment: comment.to_string() };
    if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        if entry.end != entry.start + 1 {
            return Err(format!("`{key}` {MULTI_LINE_FLOW}"));
        }
        return Ok((head, List::Flow(inner.to_string())));
    }
    if value.starts_with(['[', '{']) {
        return Err(format!("`{key}` {MULTI_LINE_FLOW}"));
    }
    if !value.is_empty() {
        return Err(format!("`{key}` is not a list; fix it by hand first"));
    }
    Ok((head, List::Block))
}

fn link(lines: &mut Vec<String>, field: LinkField, item: &str) -> Result<(), String> {
    let key = field.key();
    let Some(entry) = find(lines, key) else {
        lines.push(format!("{key}: [{item}]\n"));
        return Ok(());
    };
    let (head, list) = list(lines, &entry, key)?;
    if let List::Flow(inner) = list {
        let items = split_flow(&inner).ok_or_else(|| format!("`{key}` {MULTI_LINE_FLOW}"))?;
        let new_inner = if items.is_empty() { item.to_string() } else { format!("{}, {item}", inner.trim_end()) };
        lines[entry.start] = format!("{key}:{}[{new_inner}]{}", head.lead, head.comment);
        return Ok(());
    }
    // A block list: a new `- item` line after the last item, indented alike.
    let indent = lines[entry.start + 1..entry.end]
        .iter()
        .find_map(|l| l.trim_start().starts_with("- ").then(|| l.len() - l.trim_start().len()))
        .ok_or_else(|| format!("`{key}` {UNREADABLE}"))?;
    lines.insert(entry.end, format!("{}- {item}\n", " ".repeat(indent)));
    Ok(())
}

fn unlink(lines: &mut Vec<String>, field: LinkField, name: &str) -> Result<(), String> {
    let key = field.key();
    let not_linked = || format!("`{name}` is not linked in this file's `{key}`");
    let entry = find(lines, key).ok_or_else(not_linked)?;
    let (head, list) = list(lines, &entry, key)?;
    if let List::Flow(inner) = list {
        let items = split_flow(&inner).ok_or_else(|| format!("`{key}` {MULTI_LINE_FLOW}"))?;
        let index = items.iter().position(|i| item_name(i).as_deref() == Some(name)).ok_or_else(not_linked)?;
        if items.len() == 1 {
            lines.drain(entry.start..entry.end);
            return Ok(());
        }
        let mut kept: Vec<String> = items.clone();
        kept.remove(index);
        // Keep the spacing of the list: the first item keeps its lead.
        let lead_first = &items[0][..items[0].len() - items[0].trim_start().len()];
        let mut joined = kept.iter().map(|i| i.trim().to_string()).collect::<Vec<_>>().join(", ");
        joined.insert_str(0, lead_first);
        let trail_last = &items[items.len() - 1][items[items.len() - 1].trim_end().len()..];
        joined.push_str(trail_last);
        lines[entry.start] = format!("{key}:{}[{joined}]{}", head.lead, head.comment);
        return Ok(());
    }
    // A block list: remove the item's line and its continuation lines.
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut i = entry.start + 1;
    let mut item_indent = None;
    while i < entry.end {
        let l = &lines[i];
        let indent = l.len() - l.trim_start().len();
        if l.trim_start().starts_with("- ") && item_indent.is_none_or(|ii| ii == indent) {
            item_indent = Some(indent);
            let mut j = i + 1;
            while j < entry.end && (lines[j].trim().is_empty() || lines[j].len() - lines[j].trim_start().len() > indent) {
                j += 1;
            }
            items.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    let (start, end) = items
        .iter()
        .copied()
        .find(|(s, _)| item_name(lines[*s].trim_start().trim_start_matches("- ")).as_deref() == Some(name))
        .ok_or_else(not_linked)?;
    if items.len() == 1 {
        lines.drain(entry.start..entry.end);
    } else {
        lines.drain(start..end);
    }
    Ok(())
}

fn set_arc(lines: &mut Vec<String>, name: &str, stage: Option<&str>) -> Result<(), String> {
    let flow = |comment: &str| match stage {
        Some(stage) => format!("arc: {{ name: {}, stage: {} }}{comment}", scalar(name), scalar(stage)),
        None => format!("arc: {{ name: {} }}{comment}", scalar(name)),
    };
    let Some(entry) = find(lines, "arc") else {
        lines.push(flow("\n"));
        return Ok(());
    };
    check_safe(lines, &entry)?;
    let head = lines[entry.start][4..].to_string();
    let (value, comment) = split_comment(&head);
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
        let pairs = split_flow(inner).ok_or_else(|| format!("`arc` {MULTI_LINE_FLOW}"))?;
        let mut out = Vec::new();
        let mut has_stage = false;
        for pair in &pairs {
            let key = pair.split_once(':').map(|(k, _)| k.trim()).unwrap_or_default();
            match key {
                "name" => out.push(format!("name: {}", scalar(name))),
                "stage" => {
                    has_stage = true;
                    if let Some(stage) = stage {
                        out.push(format!("stage: {}", scalar(stage)));
                    }
                }
                _ => out.push(pair.trim().to_string()),
            }
        }
        if !has_stage && let Some(stage) = stage {
            out.push(format!("stage: {}", scalar(stage)));
        }
        let lead = &head[..head.len() - head.trim_start().len()];
        lines[entry.start] = format!("arc:{lead}{{ {} }}{comment}", out.join(", "));
        return Ok(());
    }
    if !value.is_empty() {
        // `arc: name`: becomes a flow mapping.
        lines[entry.start] = flow(comment);
        return Ok(());
    }
    // A block mapping: edit the `name:` and `stage:` lines.
    let at = |lines: &Vec<String>, key: &str| (entry.start + 1..entry.end).find(|&i| lines[i].trim_start().starts_with(&format!("{key}:")));
    let indent_of = |l: &String| l.len() - l.trim_start().len();
    let name_line = at(lines, "name").ok_or_else(|| "`arc` has no `name:` line personac can read; change it by hand".to_string())?;
    let indent = indent_of(&lines[name_line]);
    let replace = |line: &String, key: &str, value: &str| {
        let rest = &line.trim_start()[key.len() + 1..];
        let (_, comment) = split_comment(rest);
        format!("{}{key}: {}{comment}", " ".repeat(indent_of(line)), value)
    };
    lines[name_line] = replace(&lines[name_line], "name", &scalar(name));
    match (at(lines, "stage"), stage) {
        (Some(i), Some(stage)) => lines[i] = replace(&lines[i], "stage", &scalar(stage)),
        (Some(i), None) => _ = lines.remove(i),
        (None, Some(stage)) => lines.insert(name_line + 1, format!("{}stage: {}\n", " ".repeat(indent), scalar(stage))),
        (None, None) => {}
    }
    Ok(())
}

/// Sets a top-level key to a string: its lines become `key: "value"` (a
/// JSON string is a valid YAML double-quoted scalar); a missing key is added.
pub(super) fn set_scalar(fields: &str, key: &str, value: &str) -> Result<String, String> {
    let mut lines = lines(fields);
    if lines.last().is_some_and(|l| !l.ends_with('\n')) {
        let last = lines.len() - 1;
        lines[last].push('\n');
    }
    let quoted = serde_json::to_string(value).unwrap_or_default();
    match find(&lines, key) {
        Some(entry) => {
            check_safe(&lines, &entry)?;
            let head = lines[entry.start][key.len() + 1..].to_string();
            let (_, comment) = split_comment(&head);
            let comment = if entry.end == entry.start + 1 { comment.to_string() } else { "\n".to_string() };
            lines.splice(entry.start..entry.end, [format!("{key}: {quoted}{comment}")]);
        }
        None => lines.push(format!("{key}: {quoted}\n")),
    }
    let mut out = lines.concat();
    if !fields.ends_with('\n') && out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: &str) -> Change {
        Change::Link { field: LinkField::Traits, name: name.into(), order: None, priority: None }
    }
    fn unlink(name: &str) -> Change {
        Change::Unlink { field: LinkField::Traits, name: name.into() }
    }

    #[test]
    fn flow_and_block_lists_round_trip() {
        for text in [
            "version: 1.0.0\ntraits: [a, b]  # kind\nskills: [x]\n",
            "version: 1.0.0\ntraits:\n  - a   # first\n  - b\n\n# skills next\nskills: [x]\n",
            "version: 1.0.0\n",
            "version: 1.0.0\ntraits: []\n",
        ] {
            let linked = edit(text, &link("c")).unwrap();
            let back = edit(&linked, &unlink("c")).unwrap();
            if text.contains("traits: []") {
                assert_eq!(linked, "version: 1.0.0\ntraits: [c]\n");
                continue;
            }
            assert_eq!(back, text, "via\n{linked}");
        }
        assert_eq!(edit("traits: [a, b]  # kind\n", &link("c")).unwrap(), "traits: [a, b, c]  # kind\n");
        assert_eq!(edit("traits:\n  - a\n  - b\nx: 1\n", &link("c")).unwrap(), "traits:\n  - a\n  - b\n  - c\nx: 1\n");
        assert_eq!(edit("traits: [a, b, c]\n", &unlink("b")).unwrap(), "traits: [a, c]\n");
        assert_eq!(edit("traits: [\"true\", b]\n", &link("9")).unwrap(), "traits: [\"true\", b, \"9\"]\n");
    }

    #[test]
    fn block_lists_at_the_keys_column_are_edited() {
        let text = "version: 1.0.0\nparts:\n- a\n- name: b\n  order: 3\nskills: [x]\n";
        let linked = edit(text, &Change::Link { field: LinkField::Parts, name: "c".into(), order: None, priority: None }).unwrap();
        assert_eq!(linked, "version: 1.0.0\nparts:\n- a\n- name: b\n  order: 3\n- c\nskills: [x]\n");
        let back = edit(&linked, &Change::Unlink { field: LinkField::Parts, name: "c".into() }).unwrap();
        assert_eq!(back, text);
        let without_b = edit(text, &Change::Unlink { field: LinkField::Parts, name: "b".into() }).unwrap();
        assert_eq!(without_b, "version: 1.0.0\nparts:\n- a\nskills: [x]\n");
    }

    #[test]
    fn refusals_name_the_real_reason() {
        assert!(edit("traits: *shared\n", &link("c")).is_err_and(|e| e.contains("anchor, alias or tag")));
        assert!(edit("traits: [a,\n  b]\n", &link("c")).is_err_and(|e| e.contains("over several lines")));
    }

    #[test]
    fn block_mapping_items_are_removed_whole() {
        let parts = "parts:\n  - name: a\n    order: 1\n  - b\n";
        let change = Change::Unlink { field: LinkField::Parts, name: "a".into() };
        assert_eq!(edit(parts, &change).unwrap(), "parts:\n  - b\n");
    }

    #[test]
    fn unsafe_yaml_is_refused() {
        assert!(edit("traits: *shared\n", &link("c")).is_err());
        assert!(edit("traits: [a,\n  b]\n", &link("c")).is_err());
        // A one-line flow list followed by indented lines: both directions refuse.
        assert!(edit("traits: [a]\n  # about a\n", &link("c")).is_err());
        assert!(edit("traits: [a]\n  # about a\n", &unlink("a")).is_err());
    }

    #[test]
    fn arcs_in_flow_and_block_form() {
        let flow = "arc: { name: hero, stage: call }  # now\n";
        let set = |t: &str, stage: Option<&str>| edit(t, &Change::SetArc { name: "hero".into(), stage: stage.map(String::from) }).unwrap();
        assert_eq!(set(flow, Some("trial")), "arc: { name: hero, stage: trial }  # now\n");
        assert_eq!(set(flow, None), "arc: { name: hero }  # now\n");
        let block = "arc:\n  name: hero\n  stage: call # here\nx: 1\n";
        assert_eq!(set(block, Some("trial")), "arc:\n  name: hero\n  stage: trial # here\nx: 1\n");
        assert_eq!(set(block, None), "arc:\n  name: hero\nx: 1\n");
        assert_eq!(set("x: 1\n", Some("call")), "x: 1\narc: { name: hero, stage: call }\n");
    }
}
