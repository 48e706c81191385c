//! Go to definition, find references, and rename: from the names each file
//! writes (`names`), the edits made by the edit room (`edit::rename`), so
//! that comments and formatting are kept and every edited file is parsed
//! again to confirm it names exactly what it did, renamed.

use std::collections::BTreeMap;

use lsp_types::{
    DocumentChangeOperation, DocumentChanges, GotoDefinitionParams, GotoDefinitionResponse, Location, OneOf,
    OptionalVersionedTextDocumentIdentifier, PrepareRenameResponse, ReferenceParams, RenameFile, RenameParams, ResourceOp,
    TextDocumentEdit, TextDocumentPositionParams, TextEdit, WorkspaceEdit,
};

use super::names::{self, Target};
use super::text;
use super::workspace::Workspace;

pub fn definition(ws: &mut Workspace, params: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let p = params.text_document_position_params;
    let (path, offset) = ws.at(&p.text_document.uri, p.position)?;
    let analysis = ws.analysis();
    let occurrence = names::at(&analysis.project.catalog, &analysis.snapshot, &path, offset)?;
    let (file, span) = names::definition(&analysis.project.catalog, &occurrence.target)?;
    ws.location(&file, &span).map(GotoDefinitionResponse::Scalar)
}

/// The name at the cursor, or else the definition the file holds.
fn target_at(ws: &mut Workspace, p: &TextDocumentPositionParams) -> Option<(Target, Option<std::ops::Range<usize>>)> {
    let (path, offset) = ws.at(&p.text_document.uri, p.position)?;
    let analysis = ws.analysis();
    let catalog = &analysis.project.catalog;
    if let Some(o) = names::at(catalog, &analysis.snapshot, &path, offset) {
        return Some((o.target, Some(o.span)));
    }
    names::defined_in(catalog, &path).map(|(kind, name)| (Target::Def(kind, name), None))
}

pub fn references(ws: &mut Workspace, params: ReferenceParams) -> Option<Vec<Location>> {
    let (target, _) = target_at(ws, &params.text_document_position)?;
    let analysis = ws.analysis();
    let catalog = &analysis.project.catalog;
    let mut spans: Vec<_> = names::references(catalog, &analysis.snapshot, &target)
        .into_iter()
        .filter(|(_, o)| !o.defining)
        .map(|(f, o)| (f, o.span))
        .collect();
    if params.context.include_declaration
        && let Some(def) = names::definition(catalog, &target)
    {
        spans.insert(0, def);
    }
    Some(spans.iter().filter_map(|(file, span)| ws.location(file, span)).collect())
}

pub fn prepare_rename(ws: &mut Workspace, params: TextDocumentPositionParams) -> Option<PrepareRenameResponse> {
    let (path, offset) = ws.at(&params.text_document.uri, params.position)?;
    let analysis = ws.analysis();
    let o = names::at(&analysis.project.catalog, &analysis.snapshot, &path, offset)?;
    let Target::Def(_, name) = &o.target else { return None };
    let text = analysis.snapshot.get(&path)?;
    // The name itself, without its quotes.
    let within = text.get(o.span.clone())?;
    let start = o.span.start + within.find(name.as_str())?;
    Some(PrepareRenameResponse::RangeWithPlaceholder { range: text::range(text, &(start..start + name.len())), placeholder: name.clone() })
}

/// Renames a definition: its file, its `name` field if it has one, and
/// every reference to it, as one workspace edit.
pub fn rename(ws: &mut Workspace, params: RenameParams) -> Result<Option<WorkspaceEdit>, String> {
    let Some((target, _)) = target_at(ws, &params.text_document_position) else { return Ok(None) };
    let Target::Def(kind, old) = target.clone() else {
        return Err("only a definition's name can be renamed here (a persona, part, trait, skill, guardrail or arc)".to_string());
    };
    let new = params.new_name.trim().to_string();
    if !crate::parse::is_valid_name(&new) {
        return Err(format!(
            "`{new}` is not a valid name: lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 64"
        ));
    }
    let root = ws.root.clone();
    let versions: BTreeMap<String, i32> = ws.open.iter().map(|(p, d)| (p.clone(), d.version)).collect();
    let analysis = ws.analysis();
    let catalog = &analysis.project.catalog;
    if new == old {
        return Ok(None);
    }
    if catalog.meta(kind, &new).is_some() {
        return Err(format!("a {kind} named `{new}` already exists"));
    }
    let Some(meta) = catalog.meta(kind, &old) else { return Err(format!("no {kind} named `{old}`")) };
    let own = meta.file.clone();
    let Some(file_name) = own.rsplit('/').next().filter(|f| f.starts_with(&format!("{old}."))) else {
        return Err(format!("`{own}` is named by its folder (an Agent Skills folder): rename the folder"));
    };
    let moved = format!("{}{new}{}", &own[..own.len() - file_name.len()], &file_name[old.len()..]);
    if analysis.snapshot.get(&moved).is_some() || root.join(&moved).exists() {
        return Err(format!("`{moved}` already exists"));
    }
    let mut by_file: BTreeMap<std::sync::Arc<str>, Vec<std::ops::Range<usize>>> = BTreeMap::new();
    by_file.entry(own.clone()).or_default();
    for (file, o) in names::references(catalog, &analysis.snapshot, &target) {
        by_file.entry(file).or_default().push(o.span);
    }
    let mut changes = Vec::new();
    for (file, spans) in &by_file {
        let Some(text) = analysis.snapshot.get(file) else { continue };
        let after: std::sync::Arc<str> = if *file == own { moved.as_str().into() } else { file.clone() };
        let edits = crate::edit::rename(file, &after, text, kind, &old, &new, spans).map_err(|refusal| match refusal {
            crate::edit::Refusal::Edit(message) => message,
            crate::edit::Refusal::Invalid(_) => format!("`{file}` has errors; fix them before renaming"),
        })?;
        if edits.is_empty() {
            continue;
        }
        let uri = text::uri(&root, file).ok_or_else(|| format!("`{file}` has no file URI"))?;
        let edits =
            edits.iter().map(|(span, with)| OneOf::Left(TextEdit { range: text::range(text, span), new_text: with.clone() })).collect();
        changes.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: versions.get(&**file).copied() },
            edits,
        }));
    }
    let (Some(old_uri), Some(new_uri)) = (text::uri(&root, &own), text::uri(&root, &moved)) else {
        return Err(format!("`{own}` has no file URI"));
    };
    changes.push(DocumentChangeOperation::Op(ResourceOp::Rename(RenameFile { old_uri, new_uri, options: None, annotation_id: None })));
    Ok(Some(WorkspaceEdit { document_changes: Some(DocumentChanges::Operations(changes)), ..Default::default() }))
}
