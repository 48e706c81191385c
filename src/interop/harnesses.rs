//! The table of agent harnesses (`harness.rs` reads and writes them all):
//! each row says where a harness keeps its agents, how its file is laid
//! out, and which of its fields go to and from a persona's `metadata`.

use super::harness::{Form, Harness, Tools};

pub const CLAUDE_CODE: Harness = Harness {
    format: "claude-code",
    product: "Claude Code",
    out: ".claude/agents",
    suffix: ".md",
    // Claude Code's own generator writes descriptions YAML refuses (`: `
    // inside); Claude Code reads them one `key: value` a line.
    form: Form::FrontMatter { lenient: true },
    display_name: false,
    tools: Tools::Comma,
    scalars: &["color", "permissionMode", "maxTurns", "memory", "background", "effort", "isolation", "initialPrompt"],
    structured: &["skills", "disallowedTools", "mcpServers", "hooks", "allowedTools"],
    not_agents: &[],
    loses: "stages and channels (unless exported as agents of their own), token budgets, the split into parts (the body is the compiled detail view), and metadata other than Claude Code's own fields (color, permissionMode, maxTurns, memory, background, effort, isolation, initialPrompt, skills, disallowedTools, mcpServers, hooks)",
};

pub const COPILOT: Harness = Harness {
    format: "copilot",
    product: "GitHub Copilot",
    out: ".github/agents",
    suffix: ".agent.md",
    form: Form::FrontMatter { lenient: false },
    display_name: true,
    tools: Tools::List,
    scalars: &["target", "disable-model-invocation", "user-invocable"],
    structured: &["mcp-servers"],
    not_agents: &[],
    loses: "stages and channels (unless exported as agents of their own), token budgets, the split into parts (the body is the compiled detail view), and metadata other than Copilot's own fields (target, disable-model-invocation, user-invocable, mcp-servers)",
};

pub const GEMINI: Harness = Harness {
    format: "gemini",
    product: "Gemini CLI",
    out: ".gemini/agents",
    suffix: ".md",
    form: Form::FrontMatter { lenient: false },
    display_name: false,
    tools: Tools::List,
    scalars: &["kind", "temperature", "max_turns", "timeout_mins"],
    structured: &["mcpServers"],
    not_agents: &[],
    loses: "stages and channels (unless exported as agents of their own), token budgets, the split into parts (the body is the compiled detail view), and metadata other than Gemini CLI's own fields (kind, temperature, max_turns, timeout_mins, mcpServers)",
};

pub const CODEX: Harness = Harness {
    format: "codex",
    product: "Codex",
    out: ".codex/agents",
    suffix: ".toml",
    form: Form::Toml { prompt: "developer_instructions" },
    display_name: false,
    tools: Tools::Absent,
    scalars: &["model_reasoning_effort", "sandbox_mode"],
    structured: &["mcp_servers", "skills", "nickname_candidates"],
    // Codex's own settings, beside `agents/` in `.codex/`.
    not_agents: &["config.toml"],
    loses: "tools (Codex has no tools field), stages and channels (unless exported as agents of their own), token budgets, the split into parts (`developer_instructions` is the compiled detail view), and metadata other than Codex's own fields (model_reasoning_effort, sandbox_mode, mcp_servers, skills, nickname_candidates)",
};

pub const CURSOR: Harness = Harness {
    format: "cursor",
    product: "Cursor",
    out: ".cursor/agents",
    suffix: ".md",
    form: Form::FrontMatter { lenient: false },
    display_name: false,
    tools: Tools::Absent,
    scalars: &["readonly", "is_background"],
    structured: &[],
    not_agents: &[],
    loses: "tools (Cursor has no tools field), stages and channels (unless exported as agents of their own), token budgets, the split into parts (the body is the compiled detail view), and metadata other than Cursor's own fields (readonly, is_background)",
};
