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
  const params = new URLSearchParams({ persona: current, view: $('which').value, stage: $('stage').value, channel: $('channel').value });
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
    const row = el('div', { class: 'part' + (p.dropped ? ' dropped' : ''), title: p.dropped || '' });
    row.append(el('span', { class: 'name' }, `${p.name} (${p.type}, ${p.layer})`));
    const bar = el('div', { class: 'bar', role: 'img', 'aria-label': `${p.tokens} tokens` });
    const fill = el('span');
    fill.style.width = `${Math.min(100, (100 * p.tokens) / scale)}%`;
    bar.append(fill);
    row.append(bar, el('span', {}, p.dropped ? `${p.tokens} · ${p.dropped}` : `${p.tokens} tokens`));
    parts.append(row);
  }
  const gutter = $('gutter');
  const view = $('view');
  gutter.replaceChildren();
  view.replaceChildren();
  for (const [i, l] of d.lines.entries()) {
    const label = l.kind === 'layout' ? `(${l.field})` : `${l.place}  ${l.definition}${l.layer ? ' · ' + l.layer : ''}`;
    const attrs = { 'data-line': String(i), 'data-place': l.place, title: label };
    if (l.path && l.line) attrs.href = `vscode://file/${l.path.replace(/^\/+/, "")}:${l.line}`;
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
  }
}

$('search').addEventListener('input', renderList);
for (const id of ['which', 'stage', 'channel']) $(id).addEventListener('change', loadView);
const events = new EventSource('/events');
events.addEventListener('status', (e) => status(JSON.parse(e.data)));
