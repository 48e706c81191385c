//! The layer rule (SPEC section 2): each layer's parts replace or join the
//! parts of their type below, and `limit` keeps the highest priorities.

use std::collections::BTreeSet;

use crate::model::*;

/// A part in the assembly, with its effective placement.
#[derive(Clone)]
pub(super) struct Slot<'c> {
    pub(super) part: &'c Part,
    pub(super) order: i64,
    pub(super) priority: i64,
    pub(super) layer: Layer,
    pub(super) load: Load,
}

/// One layer's parts, with what they set themselves.
pub(super) struct LayerItem<'c> {
    pub(super) part: &'c Part,
    pub(super) order: Option<i64>,
    pub(super) priority: Option<i64>,
    pub(super) mode: Mode,
    pub(super) load: Load,
}

impl<'c> LayerItem<'c> {
    /// A part a stage, a channel or an override brings: no placement of its own.
    pub(super) fn plain(part: &'c Part, mode: Mode) -> Self {
        LayerItem { part, order: None, priority: None, mode, load: Load::Inline }
    }
}

/// Applies one layer: the layer rule of SPEC section 2.
///
/// `default_order` places a part whose type is new and whose order is unset:
/// a persona's parts default to 0; stage parts and overrides (`None`) go last.
/// A type is replaced if any of the layer's parts of that type replaces;
/// parts that only append join the parts of their type below, right after
/// the last of them unless they set their own order.
pub(super) fn apply_layer<'c>(
    mut below: Vec<Slot<'c>>,
    layer: Vec<LayerItem<'c>>,
    default_order: Option<i64>,
    source: &Layer,
) -> Vec<Slot<'c>> {
    let mut types: Vec<&str> = Vec::new();
    for item in &layer {
        if !types.contains(&item.part.part_type.value.as_str()) {
            types.push(&item.part.part_type.value);
        }
    }
    let slot = |i: &LayerItem<'c>, order: i64, priority: i64| Slot {
        part: i.part,
        order: i.order.unwrap_or(order),
        priority: i.priority.unwrap_or(priority),
        layer: source.clone(),
        load: i.load,
    };
    for t in types {
        let items: Vec<&LayerItem> = layer.iter().filter(|i| i.part.part_type.value == t).collect();
        let replaces = items.iter().any(|i| i.mode == Mode::Replace);
        let first = below.iter().position(|s| s.part.part_type.value == t);
        let last = below.iter().rposition(|s| s.part.part_type.value == t);
        match (first, last) {
            (Some(pos), _) if replaces => {
                let (order, priority) = (below[pos].order, below[pos].priority);
                below.retain(|s| s.part.part_type.value != t);
                let replacing: Vec<Slot> = items.iter().map(|i| slot(i, order, priority)).collect();
                below.splice(pos..pos, replacing);
            }
            (Some(_), Some(last)) => {
                // Appending: right after the last part of the type, with its
                // order and priority unless the part sets its own.
                let (order, priority) = (below[last].order, below[last].priority);
                let appended: Vec<Slot> = items.iter().map(|i| slot(i, order, priority)).collect();
                below.splice(last + 1..last + 1, appended);
            }
            _ => {
                let end = below.iter().map(|s| s.order).max().unwrap_or(0);
                for i in items {
                    below.push(slot(i, default_order.unwrap_or(end), 0));
                }
            }
        }
    }
    below.sort_by_key(|s| s.order);
    below
}

/// [`apply_layer`], noting in `history` what the layer did to each type
/// of part it brings: the parts below it replaced or appended to.
pub(super) fn apply_noted<'c>(
    below: Vec<Slot<'c>>,
    layer: Vec<LayerItem<'c>>,
    default_order: Option<i64>,
    source: &Layer,
    history: &mut Vec<Layering>,
) -> Vec<Slot<'c>> {
    let mut types: Vec<String> = Vec::new();
    for item in &layer {
        if !types.contains(&item.part.part_type.value) {
            types.push(item.part.part_type.value.clone());
        }
    }
    let of_type = |slots: &[Slot<'c>], t: &str| -> Vec<(String, Layer)> {
        slots.iter().filter(|s| s.part.part_type.value == t).map(|s| (s.part.meta.name.clone(), s.layer.clone())).collect()
    };
    let before: Vec<Vec<(String, Layer)>> = types.iter().map(|t| of_type(&below, t)).collect();
    let parts: Vec<Vec<String>> =
        types.iter().map(|t| layer.iter().filter(|i| i.part.part_type.value == *t).map(|i| i.part.meta.name.clone()).collect()).collect();
    let after = apply_layer(below, layer, default_order, source);
    for ((t, before), parts) in types.into_iter().zip(before).zip(parts) {
        let now = of_type(&after, &t);
        let (joined, replaced): (Vec<_>, Vec<_>) = before.into_iter().partition(|b| now.contains(b));
        history.push(Layering { layer: source.clone(), part_type: t, parts, replaced, joined });
    }
    after
}

/// Keeps the `limit` parts with the highest priority (ties: the earlier
/// one), still in assembly order.
pub(super) fn keep_highest_priority(slots: Vec<Slot<'_>>, limit: usize) -> Vec<Slot<'_>> {
    let mut ranked: Vec<usize> = (0..slots.len()).collect();
    ranked.sort_by(|&a, &b| slots[b].priority.cmp(&slots[a].priority).then(a.cmp(&b)));
    let keep: BTreeSet<usize> = ranked.into_iter().take(limit).collect();
    slots.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn part(name: &str, t: &str) -> Part {
        let file: Arc<str> = format!("parts/{name}.toml").into();
        Part {
            meta: Meta { name: name.into(), file, name_span: 0..0, description: None, tags: vec![], template: true },
            part_type: Spanned::new(t.into(), 0..0),
            summary: Text { source: name.into(), span: 0..0, lines: [].into(), file_lines: [].into(), table: Default::default() },
            content: None,
            title: None,
        }
    }

    fn item(part: &Part, order: Option<i64>, priority: Option<i64>) -> LayerItem<'_> {
        LayerItem { part, order, priority, mode: Mode::Replace, load: Load::Inline }
    }

    fn append(part: &Part, order: Option<i64>) -> LayerItem<'_> {
        LayerItem { part, order, priority: None, mode: Mode::Append, load: Load::Inline }
    }

    fn names(slots: &[Slot]) -> Vec<String> {
        slots.iter().map(|s| format!("{}@{}/{}", s.part.meta.name, s.order, s.priority)).collect()
    }

    #[test]
    fn a_layer_replaces_every_part_of_a_type_at_the_first_ones_place() {
        let (sys, warm, brisk, goal, spoken) = (
            part("sys", "system"),
            part("tone-warm", "tone"),
            part("tone-brisk", "tone"),
            part("goal", "goal"),
            part("tone-spoken", "tone"),
        );
        let base = apply_layer(
            vec![],
            vec![
                item(&sys, Some(0), Some(9)),
                item(&warm, Some(20), Some(5)),
                item(&brisk, Some(25), Some(1)),
                item(&goal, Some(30), None),
            ],
            Some(0),
            &Layer::Own,
        );
        assert_eq!(names(&base), ["sys@0/9", "tone-warm@20/5", "tone-brisk@25/1", "goal@30/0"]);
        // An override sets no order or priority: it inherits the first tone's.
        let voiced = apply_layer(base.clone(), vec![LayerItem::plain(&spoken, Mode::Replace)], None, &Layer::Override);
        assert_eq!(names(&voiced), ["sys@0/9", "tone-spoken@20/5", "goal@30/0"]);
        assert_eq!(voiced[1].layer, Layer::Override);
        // A new type with no order of its own goes last.
        let extra = part("flaw", "flaw");
        let staged = apply_layer(base, vec![LayerItem::plain(&extra, Mode::Replace)], None, &Layer::Stage("s".into()));
        assert_eq!(names(&staged).last().unwrap(), "flaw@30/0");
    }

    #[test]
    fn an_appended_part_joins_its_type_after_the_last_of_them() {
        let (sys, warm, brisk, goal, extra) = (
            part("sys", "system"),
            part("tone-warm", "tone"),
            part("tone-brisk", "tone"),
            part("goal", "goal"),
            part("tone-extra", "tone"),
        );
        let base = apply_layer(
            vec![],
            vec![
                item(&sys, Some(0), Some(9)),
                item(&warm, Some(20), Some(5)),
                item(&brisk, Some(20), Some(3)),
                item(&goal, Some(20), None),
            ],
            Some(0),
            &Layer::Ancestor("base".into()),
        );
        // Unset order: right after the last tone (before the goal of the
        // same order), with that tone's priority.
        let appended = apply_layer(base.clone(), vec![append(&extra, None)], Some(0), &Layer::Own);
        assert_eq!(names(&appended), ["sys@0/9", "tone-warm@20/5", "tone-brisk@20/3", "tone-extra@20/3", "goal@20/0"]);
        assert_eq!(appended[3].layer, Layer::Own);
        assert_eq!(appended[1].layer, Layer::Ancestor("base".into()));
        // Its own order places it.
        let placed = apply_layer(base.clone(), vec![append(&extra, Some(5))], Some(0), &Layer::Own);
        assert_eq!(names(&placed), ["sys@0/9", "tone-extra@5/3", "tone-warm@20/5", "tone-brisk@20/3", "goal@20/0"]);
        // A type nothing below has: placed like any new part.
        let lonely = part("flaw", "flaw");
        let new_type = apply_layer(base.clone(), vec![append(&lonely, None)], None, &Layer::Stage("s".into()));
        assert_eq!(names(&new_type).last().unwrap(), "flaw@20/0");
        // Within one layer, one replacing part of a type makes the type replaced.
        let mixed = apply_layer(base, vec![append(&extra, None), item(&warm, None, None)], Some(0), &Layer::Own);
        assert_eq!(names(&mixed), ["sys@0/9", "tone-extra@20/5", "tone-warm@20/5", "goal@20/0"]);
    }

    #[test]
    fn limit_keeps_highest_priority_in_assembly_order() {
        let (a, b, c) = (part("a", "system"), part("b", "tone"), part("c", "goal"));
        let slot = |part, order, priority| Slot { part, order, priority, layer: Layer::Own, load: Load::Inline };
        let slots = vec![slot(&a, 0, 1), slot(&b, 1, 5), slot(&c, 2, 1)];
        assert_eq!(names(&keep_highest_priority(slots, 2)), ["a@0/1", "b@1/5"]);
    }
}
