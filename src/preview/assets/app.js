'use strict';
// The preview page: plain JavaScript, no framework, no build step.
const $ = (id) => document.getElementById(id);
let personas = [];
let current = null;
let shown = -1;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-store' });
  return { ok: r.ok, body: await r.json() };
}

function renderList() {
  const q = $('search').value.trim().toLowerCase();
  const list = $('personas');
  list.replaceChildren();
  for (const p of personas.filter((p) => p.name.toLowerCase().includes(q))) {
    const b = el('button', { type: 'button', 'data-name': p.name, 'aria-current': String(p.name === current) }, p.name);
    const tokens = p.tokens ? `${p.tokens.detail} tokens` + (p.budget ? ` of ${p.budget}` : '') : '';
    b.append(el('small', {}, [p.version ? `v${p.version}` : '', tokens].filter(Boolean).join(' · ')));
    for (const w of p.warnings || []) b.append(el('small', { class: 'warn' }, w));
    b.addEventListener('click', () => choose(p.name));
    const li = el('li');
    li.append(b);
    list.append(li);
  }
}

function options(select, values, first) {
  const was = select.value;
  select.replaceChildren(el('option', { value: '' }, first));
  for (const v of values || []) select.append(el('option', { value: v }, v));
  select.value = (values || []).includes(was) ? was : '';
  select.disabled = !(values || []).length;
}

function choose(name) {
  current = name;
  const p = personas.find((p) => p.name === name) || {};
  options($('stage'), p.stages, p.stage ? `current (${p.stage})` : '—');
  options($('channel'), p.channels, 'default');
  const vars = $('vars');
  const kept = Object.fromEntries([...vars.querySelectorAll('input')].map((i) => [i.name, i.value]));
  vars.replaceChildren();
  for (const v of p.runtime_vars || []) {
    const input = el('input', { name: v, placeholder: v, 'aria-label': `runtime variable ${v}` });
    input.value = kept[v] || '';
    input.addEventListener('change', loadView);
    vars.append(input);
  }
  renderList();
  loadView();
}

async function loadPersonas() {
  const { ok, body } = await getJSON('/api/personas');
  if (!ok) return;
  personas = body.personas;
  const name = current && personas.some((p) => p.name === current) ? current : (personas[0] || {}).name;
  if (name) choose(name); else renderList();
}

async function loadView() {
  if (!current) return;
  const params = new URLSearchParams({
    persona: current, view: $('which').value, stage: $('stage').value, channel: $('channel').value,
    types: $('types').value, limit: $('limit').value.trim(),
  });
  for (const i of $('vars').querySelectorAll('input')) if (i.value !== '') params.set(`var.${i.name}`, i.value);
  const { ok, body } = await getJSON(`/api/view?${params}`);
  $('error').hidden = ok;
  if (!ok) {
    $('error').textContent = body.error + (body.diagnostics ? '\n' + body.diagnostics.map(describe).join('\n') : '');
    return;
  }
  renderView(body);
}

function renderView(d) {
  $('title').textContent = d.persona + (d.version ? ` v${d.version}` : '');
  $('tokens').textContent = `${d.tokens} tokens` + (d.budget ? ` of ${d.budget}` : '');
  const parts = $('parts');
  parts.replaceChildren();
  const scale = d.budget || Math.max(d.tokens, 1);
  for (const p of d.parts) {
    // Dropped by the budget, replaced by a layer or left out by a filter.
    const row = el('div', { class: 'part' + (p.dropped ? ' dropped' : ''), title: p.dropped || '', 'data-part': p.name });
    row.append(el('span', { class: 'name' }, `${p.name} (${p.type}, ${p.layer})`));
    const tokens = p.tokens === null ? 0 : p.tokens;
    const bar = el('div', { class: 'bar', role: 'img', 'aria-label': p.tokens === null ? 'not in the view' : `${p.tokens} tokens` });
    const fill = el('span');
    fill.style.width = `${Math.min(100, (100 * tokens) / scale)}%`;
    bar.append(fill);
    const count = p.tokens === null ? '' : `${p.tokens} tokens`;
    row.append(bar, el('span', { class: 'why' }, p.dropped ? [count, p.dropped].filter(Boolean).join(' · ') : count));
    parts.append(row);
  }
  const gutter = $('gutter');
  const view = $('view');
  gutter.replaceChildren();
  view.replaceChildren();
  for (const [i, l] of d.lines.entries()) {
    const label = l.kind === 'layout' ? `(${l.field})` : `${l.place}  ${l.definition}${l.layer ? ' · ' + l.layer : ''}`;
    const attrs = { 'data-line': String(i), 'data-place': l.place, title: label };
    // The link `[preview] editor_url` makes (vscode://file… by default).
    if (l.href) attrs.href = l.href;
    const a = el('a', attrs, label);
    a.addEventListener('click', () => { $('selected').textContent = l.place; });
    gutter.append(a);
    view.append(el('span', { class: `k-${l.kind}`, 'data-line': String(i) }, l.text), '\n');
  }
  // The page's text is the view's, byte for byte; where the lines do not
  // give it back (they always should), the text wins.
  if (view.textContent !== d.text) view.textContent = d.text;
  document.body.dataset.shown = String(shown);
}

function describe(d) {
  const at = d.file ? `${d.file}${d.line ? ':' + d.line : ''}: ` : '';
  return `${at}${d.severity} ${d.code}: ${d.message}${d.help ? '\n  help: ' + d.help : ''}`;
}

function status(s) {
  const box = $('diagnostics');
  box.hidden = s.ok;
  box.textContent = s.ok ? '' : 'The last save does not build; the last good view stays.\n' + s.diagnostics.map(describe).join('\n');
  if (s.good && s.generation !== shown) {
    shown = s.generation;
    loadPersonas();
    if (diffMode()) loadDiff();
  }
}

// Diff mode: the working tree against a revision, as `personac diff`.
function diffMode() {
  return $('diffmode').getAttribute('aria-pressed') === 'true';
}

function setDiffMode(on) {
  $('diffmode').setAttribute('aria-pressed', String(on));
  $('diff').hidden = !on;
  $('viewbox').hidden = on;
  $('parts').hidden = on;
  if (on) loadDiff();
}

function signed(n) {
  return n > 0 ? `+${n}` : String(n);
}

async function loadDiff() {
  const box = $('diff');
  const { ok, body } = await getJSON(`/api/diff?${new URLSearchParams({ rev: $('rev').value.trim() || 'HEAD' })}`);
  box.replaceChildren();
  if (!ok) {
    box.append(el('p', { class: 'failed', role: 'alert' }, body.error + (body.diagnostics ? '\n' + body.diagnostics.map(describe).join('\n') : '')));
    return;
  }
  const n = body.personas.length;
  box.append(el('p', { class: 'summary' },
    n ? `${n} persona${n === 1 ? '' : 's'} changed between ${body.base} and ${body.head}.` : `No compiled output changed between ${body.base} and ${body.head}.`));
  for (const p of body.personas) {
    const section = el('section', { class: 'persona-diff', 'data-persona': p.name });
    const version = p.version.old === p.version.new ? (p.version.new || '–') : `${p.version.old || '–'} → ${p.version.new || '–'}`;
    section.append(el('h3', {}, `${p.name} · ${p.status} · version ${version}`));
    if (p.sources.length) section.append(el('p', { class: 'sources' }, `caused by: ${p.sources.join(', ')}`));
    for (const a of p.artifacts) {
      const details = el('details', { open: '', 'data-path': a.path });
      const summary = el('summary', {}, `${a.path} · ${a.status} · tokens ${a.tokens.old ?? '–'} → ${a.tokens.new ?? '–'} `);
      summary.append(el('span', { class: 'delta' + (a.token_delta > 0 ? ' up' : a.token_delta < 0 ? ' down' : '') }, `(${signed(a.token_delta)})`));
      details.append(summary, sideBySide(a.diff));
      section.append(details);
    }
    box.append(section);
  }
}

// A unified diff as a table: the revision's lines left, the working tree's right.
function sideBySide(diff) {
  const table = el('table', { class: 'sbs' });
  let dels = [];
  let adds = [];
  let left = 0;
  let right = 0;
  const cell = (n, text, kind) => [el('td', { class: 'n' }, n === null ? '' : String(n)), el('td', { class: kind }, text === null ? '' : text)];
  const row = (a, b, kinds) => {
    const tr = el('tr');
    tr.append(...cell(a === null ? null : ++left, a, kinds[0]), ...cell(b === null ? null : ++right, b, kinds[1]));
    table.append(tr);
  };
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) {
      const a = i < dels.length ? dels[i] : null;
      const b = i < adds.length ? adds[i] : null;
      row(a, b, [a === null ? 'none' : 'del', b === null ? 'none' : 'ins']);
    }
    dels = [];
    adds = [];
  };
  let inHunk = false;
  for (const line of diff.split('\n')) {
    const hunk = line.match(/^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/);
    if (hunk) {
      flush();
      inHunk = true;
      left = Number(hunk[1]) - 1;
      right = Number(hunk[2]) - 1;
      const tr = el('tr', { class: 'hunk' });
      tr.append(el('td', { colspan: '4' }, line));
      table.append(tr);
    } else if (!inHunk || line.startsWith('\\')) {
      // The ---/+++ header, or "\ No newline at end of file".
    } else if (line.startsWith('-')) {
      dels.push(line.slice(1));
    } else if (line.startsWith('+')) {
      adds.push(line.slice(1));
    } else if (line.startsWith(' ')) {
      flush();
      row(line.slice(1), line.slice(1), ['same', 'same']);
    }
  }
  flush();
  return table;
}

$('search').addEventListener('input', renderList);
for (const id of ['which', 'stage', 'channel', 'types', 'limit']) $(id).addEventListener('change', loadView);
$('diffmode').addEventListener('click', () => setDiffMode(!diffMode()));
$('rev').addEventListener('change', () => { if (diffMode()) loadDiff(); });
const events = new EventSource('/events');
events.addEventListener('status', (e) => status(JSON.parse(e.data)));
