// Starts `personac lsp` for the persona repository open in the workspace.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!folder) return;
  const command = vscode.workspace.getConfiguration("personac").get("path") || "personac";
  const server = { command, args: ["-C", folder.uri.fsPath, "lsp"] };
  const documentSelector = ["toml", "yaml", "json", "markdown"].map((language) => ({
    scheme: "file",
    language,
    pattern: `${folder.uri.fsPath}/{personac.toml,personas/**,parts/**,traits/**,skills/**,guardrails/**,arcs/**}`,
  }));
  client = new LanguageClient("personac", "personac", { run: server, debug: server }, {
    documentSelector,
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{toml,yaml,yml,json,md}") },
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
