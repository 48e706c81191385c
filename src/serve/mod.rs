//! Serving a persona repository over the Model Context Protocol (stdio), with
//! the official Rust SDK (rmcp).
//!
//! Agents discover a persona through its manifest and fetch parts on demand.
//! Every answer comes from the same pipeline as `show` and `build`; write
//! tools (`--allow-write`) edit files through the edit room, exactly as the
//! authoring commands do. The repository is reloaded when its files change
//! (the watch machinery marks it stale). Nothing here prints to stdout: it
//! carries protocol messages only. Bad requests get JSON-RPC errors or error
//! results; nothing a client sends ends the server.

mod arguments;
pub mod envelope;
mod prompts;
mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData as McpError, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::catalog::Cache;
use crate::diag::{self, Diagnostic};
use crate::model::{Kind, Override, Request};
use crate::project::Project;
use crate::render::View;
use crate::snapshot::Snapshot;
use crate::{artifacts, describe};

/// The repository as last loaded.
pub struct Loaded {
    pub snapshot: Snapshot,
    pub project: Result<Project, Vec<Diagnostic>>,
}

struct State {
    root: PathBuf,
    cache: Cache,
    /// The output folder's index, which validates writes.
    index: artifacts::IndexCache,
    /// The last load, and what changed on disk since (`None`: nothing).
    current: Mutex<(Option<Arc<Loaded>>, Option<Stale>)>,
    /// One write at a time.
    writes: Mutex<()>,
}

/// What changed since the last load.
enum Stale {
    /// These repository-relative paths: only they are read again.
    Paths(Vec<String>),
    /// Unknown (the watcher lost track, or there is none): read everything.
    All,
}

#[derive(Clone)]
pub struct Server {
    state: Arc<State>,
    tool_router: ToolRouter<Server>,
}

type Answer = Result<CallToolResult, McpError>;

fn ok(value: Value) -> Answer {
    Ok(CallToolResult::structured(value))
}

fn fail(message: impl Into<String>) -> Answer {
    Ok(CallToolResult::error(vec![ContentBlock::text(message.into())]))
}

/// An error result that carries positioned diagnostics.
fn fail_with(message: &str, diags: &[Diagnostic], snapshot: &Snapshot) -> Answer {
    let located: Vec<_> = diags.iter().map(|d| diag::locate(d, snapshot)).collect();
    Ok(CallToolResult::structured_error(json!({ "error": message, "diagnostics": located })))
}

impl Server {
    pub fn new(root: PathBuf, allow_write: bool) -> Server {
        let mut tool_router = Self::read_router();
        if allow_write {
            tool_router += Self::write_router();
        }
        let state = Arc::new(State {
            root,
            cache: Cache::default(),
            index: Default::default(),
            current: Mutex::new((None, None)),
            writes: Mutex::new(()),
        });
        Server { state, tool_router }
    }

    /// Marks the repository stale whenever its sources change.
    fn watch_for_changes(&self) {
        let state = Arc::downgrade(&self.state);
        let root = self.state.root.clone();
        std::thread::spawn(move || {
            let Ok(mut changes) = crate::watch::Changes::start(&root, false) else {
                eprintln!("personac serve: cannot watch `{}`; every request reloads it", root.display());
                while let Some(state) = state.upgrade() {
                    state.invalidate(None);
                    drop(state);
                    std::thread::sleep(Duration::from_millis(200));
                }
                return;
            };
            loop {
                let Some(state) = state.upgrade() else { return };
                if let Some(batch) = changes.next(Duration::from_millis(200), &mut || {}) {
                    state.invalidate((!batch.rescan).then_some(batch.paths));
                }
            }
        });
    }

    /// The loaded repository (reloaded if its files changed).
    fn loaded(&self) -> Arc<Loaded> {
        self.state.loaded()
    }

    /// The project, or an error result with the repository's diagnostics.
    fn project(&self, f: impl FnOnce(&Loaded, &Project) -> Answer) -> Answer {
        let loaded = self.loaded();
        match &loaded.project {
            Ok(project) => f(&loaded, project),
            Err(diags) => fail_with("the persona repository has errors; fix them first", diags, &loaded.snapshot),
        }
    }

    /// Resolves and compiles one persona, answering with `f`'s result, or
    /// with an error result that says why it cannot.
    fn compiled(
        &self,
        name: &str,
        request: &Request,
        annotate: Option<View>,
        f: impl FnOnce(&crate::model::ResolvedPersona, crate::render::RenderedPersona, [crate::budget::Fitted; 2]) -> Value,
    ) -> Answer {
        self.project(|loaded, project| {
            let resolved = match project.catalog.resolve(name, request) {
                Ok(r) => r,
                Err(crate::resolve::ResolveError::Request(msg)) => return fail(msg),
                Err(crate::resolve::ResolveError::Definitions(d)) => {
                    return fail_with("the persona does not resolve", &d, &loaded.snapshot);
                }
            };
            let identity = artifacts::identity(&project.catalog, &project.renderer, &project.tokenizer, &resolved.name);
            let views = match annotate {
                // The view's source records, as `show --annotate --format json` gives them.
                Some(view) => artifacts::traced_views(&project.renderer, &project.tokenizer, &resolved).map(|(rendered, [s, d])| {
                    let traced = if view == View::Summary { &s } else { &d };
                    let text = &traced.fitted.text;
                    let lines = traced.lines.clone().unwrap_or_else(|| text.lines().map(crate::render::LineSource::unknown).collect());
                    (rendered, [s.fitted, d.fitted], Some(lines))
                }),
                None => artifacts::views(&project.renderer, &project.tokenizer, &resolved).map(|(r, fitted)| (r, fitted, None)),
            };
            match views.and_then(|v| identity.map(|i| (v, i))) {
                Ok(((rendered, fitted, lines), (id, fingerprint))) => {
                    // Which persona build answered, for an agent's logs.
                    let mut value = f(&resolved, rendered, fitted);
                    value["id"] = json!(id);
                    value["fingerprint"] = json!(fingerprint);
                    if let Some(lines) = lines {
                        value["lines"] = serde_json::to_value(&lines).unwrap_or_default();
                    }
                    ok(value)
                }
                Err(d) => fail_with("the persona does not compile", &d, &loaded.snapshot),
            }
        })
    }

    /// One definition with its texts rendered (with the project's
    /// variables, or a persona's): an agent never gets a raw template.
    fn definition(&self, kind: Kind, args: &FetchArgs) -> Answer {
        self.project(|loaded, project| {
            let persona = args.persona.as_deref().map(|p| (p, args.channel.as_deref()));
            if persona.is_none() && args.channel.is_some() {
                return fail("argument `channel` needs `persona`: a channel belongs to a persona");
            }
            match describe::rendered(&project.catalog, &project.renderer, kind, &args.name, persona) {
                Ok(value) => ok(value),
                Err(describe::ShowError::Request(msg)) => fail(msg.replace("\n  help: ", "; ")),
                Err(describe::ShowError::Definitions(d)) => fail_with(&format!("the {kind} does not render"), &d, &loaded.snapshot),
            }
        })
    }
}

impl State {
    /// The repository as it is on disk: the last load, brought up to date
    /// by reading again only the files that changed since (parsing is
    /// cached by content, so only changed files are parsed again).
    fn loaded(&self) -> Arc<Loaded> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let (last, stale) = (current.0.clone(), current.1.take());
        let (snapshot, diags) = match (&last, stale) {
            (Some(last), None) => return last.clone(),
            (Some(last), Some(Stale::Paths(paths))) => {
                let (snapshot, diags) = last.snapshot.refresh(&self.root, &paths);
                // A folder's change may be any file in it: not the same.
                let same = paths.iter().all(|p| {
                    !self.root.join(p).is_dir()
                        && snapshot.hash(p) == last.snapshot.hash(p)
                        && snapshot.get(p).is_some() == last.snapshot.get(p).is_some()
                });
                if same && diags.is_empty() {
                    // A write of this server, already loaded (see `Server::save`).
                    return last.clone();
                }
                (snapshot, diags)
            }
            _ => Snapshot::from_dir(&self.root),
        };
        let project = Project::load_read(&snapshot, &self.cache, None, diags);
        let loaded = Arc::new(Loaded { snapshot, project });
        current.0 = Some(loaded.clone());
        loaded
    }

    /// Records that files changed on disk (`None`: any file may have).
    fn invalidate(&self, paths: Option<Vec<String>>) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current.1 = match (current.1.take(), paths) {
            (Some(Stale::All), _) | (_, None) => Some(Stale::All),
            (Some(Stale::Paths(mut before)), Some(paths)) => {
                before.extend(paths);
                before.sort();
                before.dedup();
                Some(Stale::Paths(before))
            }
            (None, Some(paths)) => Some(Stale::Paths(paths)),
        };
    }

    /// The repository after a write of this server: what the write
    /// validated, so that the next request does not load it again.
    fn written(&self, loaded: Loaded) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        current.0 = Some(Arc::new(loaded));
    }
}

/// "no part named `x`", with a did-you-mean.
fn unknown(project: &Project, kind: Kind, name: &str) -> String {
    let mut msg = format!("no {kind} named `{name}`");
    if let Some(best) = diag::did_you_mean(name, project.catalog.names(kind)) {
        msg.push_str(&format!("; did you mean `{best}`?"));
    }
    msg
}

/// Serves the repository at `root` on stdin and stdout until the client
/// closes the connection.
pub fn serve(root: PathBuf, allow_write: bool) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let server = Server::new(root, allow_write);
        server.watch_for_changes();
        // The client's lines pass the envelope gate before the SDK reads
        // them; the SDK's answers and the gate's share one stdout writer.
        let (sdk_in, gate_out) = tokio::io::duplex(1 << 16);
        let (relay_in, sdk_out) = tokio::io::duplex(1 << 16);
        let stdout: envelope::Out = Arc::new(tokio::sync::Mutex::new(tokio::io::stdout()));
        let gate = tokio::spawn(envelope::gate(gate_out, stdout.clone()));
        let relay = tokio::spawn(envelope::relay(relay_in, stdout));
        let running = server.serve((sdk_in, sdk_out)).await.map_err(|e| e.to_string())?;
        running.waiting().await.map_err(|e| e.to_string())?;
        gate.abort();
        let _ = relay.await;
        Ok(())
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct NameArg {
    /// The definition's name (its file name without extension), e.g. `maya`.
    pub name: String,
}

/// A persona named by a tool: `name` and `persona` are the same argument.
#[derive(Deserialize, JsonSchema)]
pub struct PersonaName {
    /// The persona's name, e.g. `maya` (the same argument as `persona`: give one of them).
    pub name: Option<String>,
    /// The persona's name, e.g. `maya` (the same argument as `name`).
    pub persona: Option<String>,
}

/// The persona a tool's `name` or `persona` argument names (the same
/// argument under two names): one of them, or both alike.
pub(crate) fn persona_named<'a>(name: &'a Option<String>, persona: &'a Option<String>) -> Result<&'a str, String> {
    match (name, persona) {
        (Some(a), Some(b)) if a != b => Err(format!("arguments `name` (`{a}`) and `persona` (`{b}`) are the same argument: give one")),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Err("missing argument `persona` (or `name`, the same): the persona's name, e.g. `maya`".to_string()),
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct FetchArgs {
    /// The definition's name (its file name without extension), e.g. `tone-warm`.
    pub name: String,
    /// Render its texts with this persona's variables (default: the project's).
    pub persona: Option<String>,
    /// With `persona`: the channel whose variables apply, e.g. `voice`.
    pub channel: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct SkillArgs {
    /// The skill's name, e.g. `pdf-forms`.
    pub name: String,
    /// Render its texts with this persona's variables (default: the project's).
    pub persona: Option<String>,
    /// With `persona`: the channel whose variables apply, e.g. `voice`.
    pub channel: Option<String>,
    /// One of the skill's references, by its path in the skill's folder, e.g. `references/forms.md`: its text, carried as written.
    pub file: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct PersonaArgs {
    /// The persona's name, e.g. `maya` (the same argument as `persona`: give one of them).
    pub name: Option<String>,
    /// The persona's name, e.g. `maya` (the same argument as `name`).
    pub persona: Option<String>,
    /// `true` for the full detail view; `false` (default) for the compact summary view.
    #[serde(default)]
    pub detail: bool,
    /// Runtime overrides, part type to part name: `{"tone": "tone-spoken"}`.
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
    /// Keep only parts of these types.
    pub types: Option<Vec<String>>,
    /// Keep the N parts with the highest priority.
    pub limit: Option<usize>,
    /// The arc stage (default: the persona's current stage).
    pub stage: Option<String>,
    /// The channel variant, e.g. `voice`.
    pub channel: Option<String>,
    /// Template variables, e.g. runtime variables such as `{"user_name": "Ada"}`.
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    /// `true` to add `lines`: each line of the view with the source line that made it (`{text, file, line, definition, kind, layer, …}`), as `personac show --annotate --format json` gives them.
    #[serde(default)]
    pub annotate: bool,
}

#[derive(Deserialize, JsonSchema)]
pub struct TagsArg {
    /// Only definitions with every one of these tags.
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
pub struct PartFilter {
    /// Only parts of this type (tone, goal, identity…).
    pub part_type: Option<String>,
    /// Only parts with every one of these tags.
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
pub struct TraitFilter {
    /// Only traits of this type (personality, cognitive, emotional, social, behavioral).
    pub trait_type: Option<String>,
    /// Only traits with every one of these tags.
    pub tags: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
pub struct NoArgs {}

fn listed(project: &Project, kind: Kind, item_type: Option<&str>, tags: &Option<Vec<String>>) -> Answer {
    let rows = describe::list(&project.catalog, &project.renderer, kind, item_type, None);
    let rows: Vec<_> = rows.into_iter().filter(|r| !r.is_abstract && tags.iter().flatten().all(|t| r.tags.contains(t))).collect();
    ok(json!({ "items": rows }))
}

#[tool_router(router = read_router)]
impl Server {
    #[tool(
        description = "Start here. The lightweight discovery view of a persona: its description, the name, type and description of each part, its traits, skills and guardrails, its arc stage and the stage's condition, token counts, and which tool fetches what on demand. Read this first, then fetch only the parts the task needs."
    )]
    async fn get_persona_manifest(&self, Parameters(args): Parameters<PersonaName>) -> Answer {
        let name = match persona_named(&args.name, &args.persona) {
            Ok(name) => name,
            Err(message) => return fail(message),
        };
        self.project(|loaded, project| match project.catalog.resolve(name, &Request::default()) {
            Err(crate::resolve::ResolveError::Request(msg)) => fail(msg),
            Err(crate::resolve::ResolveError::Definitions(d)) => fail_with("the persona does not resolve", &d, &loaded.snapshot),
            Ok(resolved) => match artifacts::manifest_of(&project.catalog, &project.renderer, &project.tokenizer, &resolved.name) {
                Ok(manifest) => ok(manifest),
                Err(d) => fail_with("the persona does not compile", &d, &loaded.snapshot),
            },
        })
    }

    #[tool(
        description = "One compiled view of a persona as a system prompt: the summary view (default) or, with detail=true, the full detail view. Options: overrides (part type to part), types and limit (keep some parts), stage, channel, vars (fill runtime variables), annotate (each line with the source file and line that made it, for review). Returns the text, the parts in assembly order, what the token budget dropped, and the token count."
    )]
    async fn get_agent_persona(&self, Parameters(args): Parameters<PersonaArgs>) -> Answer {
        let request = Request {
            stage: args.stage.clone(),
            channel: args.channel.clone(),
            overrides: args.overrides.iter().map(|(t, p)| Override { part_type: t.clone(), part: p.clone() }).collect(),
            types: args.types.clone(),
            limit: args.limit,
            vars: args.vars.clone().into_iter().collect(),
        };
        let name = match persona_named(&args.name, &args.persona) {
            Ok(name) => name,
            Err(message) => return fail(message),
        };
        let view = if args.detail { View::Detail } else { View::Summary };
        self.compiled(name, &request, args.annotate.then_some(view), |resolved, rendered, [summary, detail]| {
            let (view, fitted) = if args.detail { (View::Detail, detail) } else { (View::Summary, summary) };
            describe::shown(resolved, &rendered, &fitted, view)
        })
    }

    #[tool(description = "Fetch one part's full content by name, on demand, when the task needs what the manifest says it holds.")]
    async fn get_agent_part(&self, Parameters(args): Parameters<FetchArgs>) -> Answer {
        self.definition(Kind::Part, &args)
    }

    #[tool(description = "Fetch one trait's full instruction by name.")]
    async fn get_agent_trait(&self, Parameters(args): Parameters<FetchArgs>) -> Answer {
        self.definition(Kind::Trait, &args)
    }

    #[tool(
        description = "Fetch one skill's full instructions by name, before using the skill; with `file`, one of the references its instructions point to (`references/NAME.md`)."
    )]
    async fn get_agent_skill(&self, Parameters(args): Parameters<SkillArgs>) -> Answer {
        let Some(file) = &args.file else {
            return self.definition(Kind::Skill, &FetchArgs { name: args.name, persona: args.persona, channel: args.channel });
        };
        self.project(|_, project| {
            let Some(skill) = project.catalog.skills.get(&args.name) else {
                return fail(format!("there is no skill `{}`", args.name));
            };
            let references: Vec<&str> = skill.folder.iter().flat_map(|f| f.references.iter().map(|(path, _)| path.as_str())).collect();
            match skill.folder.iter().flat_map(|f| f.references.iter()).find(|(path, _)| path == file) {
                Some((path, text)) => ok(json!({ "skill": skill.meta.name, "file": path, "text": &**text })),
                None if references.is_empty() => fail(format!("skill `{}` has no references", args.name)),
                None => fail(format!("skill `{}` has no reference `{file}`; its references: {}", args.name, references.join(", "))),
            }
        })
    }

    #[tool(description = "Fetch one guardrail's full rule by name, with its severity (low, medium, high, critical).")]
    async fn get_agent_guardrail(&self, Parameters(args): Parameters<FetchArgs>) -> Answer {
        self.definition(Kind::Guardrail, &args)
    }

    #[tool(
        description = "The whole compiled persona in one call: both the summary and the detail view, with token counts. Use it when the context has room for the full prompt; otherwise read the manifest and fetch parts on demand."
    )]
    async fn compile_persona(&self, Parameters(args): Parameters<PersonaName>) -> Answer {
        let name = match persona_named(&args.name, &args.persona) {
            Ok(name) => name,
            Err(message) => return fail(message),
        };
        self.compiled(name, &Request::default(), None, |resolved, rendered, [summary, detail]| {
            let mut value = json!({
                "persona": resolved.name,
                "version": resolved.version.as_ref().map(ToString::to_string),
                "summary": { "text": summary.text, "tokens": summary.tokens, "dropped": summary.dropped },
                "detail": { "text": detail.text, "tokens": detail.tokens, "dropped": detail.dropped },
            });
            describe::settings(&mut value, resolved, Some(&rendered.persona.title));
            value
        })
    }

    #[tool(description = "List personas (name, description, tags, file), optionally only those with all the given tags.")]
    async fn list_agent_personas(&self, Parameters(args): Parameters<TagsArg>) -> Answer {
        // Abstract bases are never served.
        self.project(|_, project| listed(project, Kind::Persona, None, &args.tags))
    }

    #[tool(description = "List parts (name, type, description, tags), optionally of one part type and with all the given tags.")]
    async fn list_agent_parts(&self, Parameters(args): Parameters<PartFilter>) -> Answer {
        self.project(|_, project| listed(project, Kind::Part, args.part_type.as_deref(), &args.tags))
    }

    #[tool(description = "List traits (name, type, description, tags), optionally of one trait type and with all the given tags.")]
    async fn list_agent_traits(&self, Parameters(args): Parameters<TraitFilter>) -> Answer {
        self.project(|_, project| listed(project, Kind::Trait, args.trait_type.as_deref(), &args.tags))
    }

    #[tool(
        description = "List character arcs with their stages: each stage's name, description, condition (for the calling agent to evaluate) and parts."
    )]
    async fn list_character_arcs(&self, Parameters(_): Parameters<NoArgs>) -> Answer {
        self.project(|_, project| {
            let arcs: Vec<Value> =
                project.catalog.arcs.keys().filter_map(|name| describe::definition(&project.catalog, Kind::Arc, name)).collect();
            ok(json!({ "arcs": arcs }))
        })
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    /// Checks the arguments against the tool's schema first (a bad one is an
    /// error result that names it), then runs the tool in a task of its own,
    /// so that even a panic answers only that call, with an error.
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, McpError> {
        let Some(tool) = self.tool_router.get(&request.name) else {
            let names: Vec<String> = self.tool_router.list_all().into_iter().map(|t| t.name.to_string()).collect();
            let mut message = format!("unknown tool `{}`", request.name);
            if let Some(best) = diag::did_you_mean(&request.name, names.iter().map(String::as_str)) {
                message.push_str(&format!("; did you mean `{best}`?"));
            }
            return Err(McpError::invalid_params(message, None));
        };
        if let Err(message) = arguments::check(&request.name, &tool.input_schema, request.arguments.as_ref()) {
            return Ok(CallToolResult::error(vec![ContentBlock::text(message)]).into());
        }
        let this = self.clone();
        let name = request.name.to_string();
        let call = tokio::spawn(async move {
            let tcc = rmcp::handler::server::tool::ToolCallContext::new(&this, request, context);
            this.tool_router.call(tcc).await
        });
        match call.await {
            Ok(Err(e)) if e.code == rmcp::model::ErrorCode::INVALID_PARAMS => {
                Ok(CallToolResult::error(vec![ContentBlock::text(format!("bad arguments for tool `{name}`: {}", e.message))]).into())
            }
            Ok(answer) => answer,
            Err(failed) => Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "tool `{name}` failed inside personac ({}); this is a bug: please report it",
                if failed.is_panic() { "a panic" } else { "cancelled" }
            ))])
            .into()),
        }
    }

    /// Each concrete persona, and each of its channels, as a prompt.
    async fn list_prompts(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::ListPromptsResult, McpError> {
        let loaded = self.loaded();
        let prompts = loaded.project.as_ref().map(prompts::list).unwrap_or_default();
        Ok(rmcp::model::ListPromptsResult::with_all_items(prompts))
    }

    /// A persona's detail view, its runtime variables filled.
    async fn get_prompt(
        &self,
        request: rmcp::model::GetPromptRequestParams,
        _context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, McpError> {
        let loaded = self.loaded();
        let Ok(project) = &loaded.project else {
            return Err(McpError::internal_error("the persona repository has errors; `personac check` shows them", None));
        };
        match prompts::get(project, &request.name, request.arguments.as_ref()) {
            Ok(result) => Ok(result.into()),
            Err(message) => Err(McpError::invalid_params(message, None)),
        }
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_prompts().build())
            .with_server_info(Implementation::new("personac", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "personac serves compiled personas. Read get_persona_manifest first; fetch parts, traits, skills and guardrails on demand with the get_agent_* tools; call compile_persona only when the context has room for the whole prompt.",
            )
    }
}
