// Starts `personac lsp` for the definition files of a persona repository:
// personas/, parts/, traits/, skills/, guardrails/, arcs/ and personac.toml,
// in each of the four forms (TOML, YAML, JSON, Markdown with front matter).
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

const FOLDERS = ["personas", "parts", "traits", "skills", "guardrails", "arcs"];
const LANGUAGES = ["toml", "yaml", "json", "jsonc", "markdown"];

/** The documents the server answers for: the kind folders' files, and the config. */
function documentSelector() {
  const selector = [{ scheme: "file", pattern: "**/personac.toml" }];
  for (const language of LANGUAGES) {
    for (const folder of FOLDERS) {
      selector.push({ scheme: "file", language, pattern: `**/${folder}/**` });
    }
  }
  return selector;
}

/** How to start the server: `personac lsp` over stdio. */
function serverOptions(path) {
  const run = { command: path || "personac", args: ["lsp"] };
  return { run, debug: run };
}

let client;

async function start() {
  const config = vscode.workspace.getConfiguration("personac");
  client = new LanguageClient("personac", "personac", serverOptions(config.get("path")), {
    documentSelector: documentSelector(),
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher(`**/{personac.toml,${FOLDERS.join(",")}}/**`),
    },
  });
  await client.start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("personac.restart", async () => {
      if (client) await client.stop();
      await start();
    }),
  );
  await start();
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate, documentSelector, serverOptions };
