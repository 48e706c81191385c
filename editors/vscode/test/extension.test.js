// The extension's choices, without VS Code: which files it hands to
// `personac lsp`, and how it starts the server.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const Module = require("node:module");

// `vscode` exists only inside the editor, and the client needs it: stand-ins
// for loading the module.
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === "vscode") return {};
  if (request === "vscode-languageclient/node") return { LanguageClient: class {} };
  return load.call(this, request, ...rest);
};
const { documentSelector, serverOptions } = require("../extension.js");
const manifest = require("../package.json");

test("the server is `personac lsp` over stdio, from the configured path", () => {
  assert.deepStrictEqual(serverOptions("/opt/personac").run, { command: "/opt/personac", args: ["lsp"] });
  assert.deepStrictEqual(serverOptions(undefined).run, { command: "personac", args: ["lsp"] });
});

test("every kind folder in every file form is handed to the server, and the config", () => {
  const selector = documentSelector();
  for (const folder of ["personas", "parts", "traits", "skills", "guardrails", "arcs"]) {
    for (const language of ["toml", "yaml", "json", "markdown"]) {
      assert.ok(selector.some((s) => s.language === language && s.pattern === `**/${folder}/**`), `${language} in ${folder}/`);
    }
  }
  assert.ok(selector.some((s) => s.pattern === "**/personac.toml"));
  assert.ok(selector.every((s) => s.scheme === "file"));
});

test("the extension starts in a persona repository", () => {
  assert.deepStrictEqual(manifest.activationEvents, ["workspaceContains:personac.toml", "workspaceContains:personas"]);
  assert.strictEqual(manifest.main, "./extension.js");
});
