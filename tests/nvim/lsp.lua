-- Neovim (0.7's API: vim.lsp.start_client) against `personac lsp`, headless:
--   PERSONAC=target/release/personac nvim --headless -u NONE -c "luafile tests/nvim/lsp.lua"
-- On a temp copy of tests/nvim/repo it opens a persona, waits for the
-- diagnostic of a misspelled part, fixes it, completes a part name, jumps to
-- a part's definition and renames a part (file and references, through
-- Neovim's own handlers). Any step that fails exits with `cq` (non-zero).

local function say(msg) io.stderr:write(msg .. "\n") end

local function fail(msg)
  say("FAIL: " .. msg)
  vim.cmd("cq")
end

local script_dir = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
local bin = vim.fn.fnamemodify(os.getenv("PERSONAC") or "target/release/personac", ":p")
if vim.fn.executable(bin) ~= 1 then return fail("no personac binary at " .. bin .. " (set PERSONAC)") end
local root = vim.fn.tempname()
vim.fn.system({ "cp", "-r", script_dir .. "/repo", root })
if vim.v.shell_error ~= 0 then return fail("cannot copy the fixture repository") end

local client_id = vim.lsp.start_client({ name = "personac", cmd = { bin, "-C", root, "lsp" }, root_dir = root })
if not client_id then return fail("the client did not start") end
local client = vim.lsp.get_client_by_id(client_id)

local function wait(what, ms, done)
  if not vim.wait(ms, done, 50) then fail("timed out: " .. what) return false end
  return true
end

local ok, err = pcall(function()
  -- 1. Open a persona: the misspelled part is reported, with its did-you-mean.
  vim.cmd("edit " .. root .. "/personas/maya.toml")
  local buf = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(buf, client_id)
  if not wait("the diagnostic of a misspelled part", 30000, function() return #vim.diagnostic.get(buf) > 0 end) then return end
  local d = vim.diagnostic.get(buf)[1]
  if not (d.message:find("tone%-warn") and d.message:find("did you mean `tone%-warm`")) then
    return fail("unexpected diagnostic: " .. d.message)
  end
  if d.lnum ~= 3 or d.col ~= 9 then return fail(("diagnostic at %d:%d, expected 3:9"):format(d.lnum, d.col)) end
  say("ok: diagnostic " .. d.message:gsub("\n.*", ""))

  -- 2. Fix it in the buffer (unsaved): the diagnostic clears.
  vim.api.nvim_buf_set_lines(buf, 3, 4, true, { 'parts = ["tone-warm", "goal-help", ""]' })
  if not wait("the diagnostic to clear", 30000, function()
    local left = vim.diagnostic.get(buf)
    return #left == 0 or (#left == 1 and left[1].message:find("`` is not a valid"))
  end) then return end
  say("ok: diagnostic cleared")

  -- 3. Complete a part name inside the empty string.
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = 3, character = 36 } }
  local answer = client.request_sync("textDocument/completion", params, 10000, buf)
  if not answer or answer.err then return fail("completion: " .. vim.inspect(answer)) end
  local labels = {}
  for _, item in ipairs(answer.result.items or answer.result) do labels[item.label] = true end
  if not (labels["tone-warm"] and labels["goal-help"]) then return fail("completion offered " .. vim.inspect(labels)) end
  vim.api.nvim_buf_set_text(buf, 3, 36, 3, 36, { "tone-warm" })
  vim.api.nvim_buf_set_lines(buf, 3, 4, true, { 'parts = ["tone-warm", "goal-help"]' })
  say("ok: completion offered the parts")

  -- 4. Jump to the definition of `goal-help` (Neovim's own handler).
  vim.api.nvim_win_set_cursor(0, { 4, 24 })
  vim.lsp.buf.definition()
  if not wait("the jump to parts/goal-help.md", 10000, function()
    return vim.api.nvim_buf_get_name(0):match("parts/goal%-help%.md$") ~= nil
  end) then return end
  say("ok: definition opened " .. vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ":t"))

  -- 5. Rename `goal-help` from the persona: the file moves, the persona's
  -- and the arc stage's references change (Neovim applies the edit).
  vim.cmd("buffer " .. buf)
  vim.api.nvim_win_set_cursor(0, { 4, 24 })
  vim.lsp.buf.rename("goal-aid")
  if not wait("the rename", 10000, function()
    return vim.fn.filereadable(root .. "/parts/goal-aid.md") == 1
  end) then return end
  local line = vim.api.nvim_buf_get_lines(buf, 3, 4, true)[1]
  if line ~= 'parts = ["tone-warm", "goal-aid"]' then return fail("persona after rename: " .. line) end
  vim.cmd("silent wall")
  local arc = table.concat(vim.fn.readfile(root .. "/arcs/onboarding.yaml"), "\n")
  if not arc:find("parts: %[goal%-aid%]") then return fail("arc after rename: " .. arc) end
  if vim.fn.filereadable(root .. "/parts/goal-help.md") == 1 then return fail("the old file is still there") end
  local out = vim.fn.system({ bin, "-C", root, "check" })
  if vim.v.shell_error ~= 0 then return fail("check after the rename: " .. out) end
  say("ok: renamed goal-help to goal-aid; the repository checks clean")
end)

if not ok then return fail(tostring(err)) end
vim.lsp.stop_client(client_id)
vim.fn.delete(root, "rf")
say("nvim: all steps passed")
vim.cmd("qa!")
