// The dashboard: reads /metrics every few seconds, keeps the readings in memory, and draws
// rates, percentiles and gauges from them. No library and no other endpoint: every number
// shown is one /metrics gives, or a rate or quantile of two of its readings.
'use strict';

const params = new URLSearchParams(location.search);
const INTERVAL_S = Math.max(0.5, Number(params.get('interval') || 2));
const RATE_S = 10;      // rates over the last 10 s
const QUANTILE_S = 60;  // percentiles over the last minute
const COLORS = ['#2f6fde', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#0c8599', '#868e96',
                '#d9480f', '#5c940d', '#a61e4d'];
const history = [];  // {t (seconds), m (parsed metrics)}
let windowS = Number(document.getElementById('window').value);
document.getElementById('interval').textContent = INTERVAL_S;
document.getElementById('window').addEventListener('change', (e) => {
  windowS = Number(e.target.value);
  render();
});

// ---- Prometheus text format -------------------------------------------------------------

function parseValue(s) {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);  // "NaN" -> NaN
}

function parseLabels(s) {
  const labels = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m; (m = re.exec(s));) {
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
  }
  return labels;
}

// name -> [{labels, value}]
function parseMetrics(text) {
  const out = new Map();
  const re = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = re.exec(line);
    if (!m) continue;
    if (!out.has(m[1])) out.set(m[1], []);
    out.get(m[1]).push({labels: parseLabels(m[2] || ''), value: parseValue(m[3])});
  }
  return out;
}

function matches(labels, filter) {
  for (const k in filter || {}) {
    if (labels[k] !== filter[k]) return false;
  }
  return true;
}

// Sum of a metric's series that match `filter` (null when the metric is absent).
function sum(m, name, filter) {
  const series = m.get(name);
  if (!series) return null;
  let total = 0;
  for (const s of series) {
    if (matches(s.labels, filter) && Number.isFinite(s.value)) total += s.value;
  }
  return total;
}

function gauge(m, name, filter) {
  const series = (m.get(name) || []).filter((s) => matches(s.labels, filter));
  return series.length ? series[0].value : null;
}

function labelValues(m, name, label) {
  return (m.get(name) || []).map((s) => s.labels[label]).filter((v) => v !== undefined);
}

// The reading closest to `secondsAgo` before the latest.
function readingBefore(secondsAgo, from = history.length - 1) {
  const target = history[from].t - secondsAgo;
  let i = from;
  while (i > 0 && history[i - 1].t >= target) i--;
  return i > 0 && history[i].t > target ? i - 1 : i;
}

// Per-second rate of a counter between two readings; resets count from zero.
function rate(i, name, filter, overS = RATE_S) {
  const j = readingBefore(overS, i);
  if (j === i) return null;
  const a = sum(history[j].m, name, filter);
  const b = sum(history[i].m, name, filter);
  if (a === null || b === null) return null;
  const d = b >= a ? b - a : b;
  return d / (history[i].t - history[j].t);
}

// histogram_quantile over the observations between two readings (or all of them when
// `overS` is 0): linear interpolation inside the bucket, as Prometheus does.
function quantile(q, i, name, filter, overS = QUANTILE_S) {
  const buckets = new Map();
  const add = (m, sign) => {
    for (const s of m.get(name + '_bucket') || []) {
      const {le, ...rest} = s.labels;
      if (!matches(rest, filter)) continue;
      const bound = parseValue(le);
      buckets.set(bound, (buckets.get(bound) || 0) + sign * s.value);
    }
  };
  add(history[i].m, 1);
  if (overS > 0) {
    const j = readingBefore(overS, i);
    if (j === i) return null;
    add(history[j].m, -1);
  }
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  if (!bounds.length) return null;
  const total = buckets.get(Infinity) || 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0, prevCount = 0;
  for (const b of bounds) {
    const c = buckets.get(b);
    if (c >= rank) {
      if (b === Infinity) return prevBound;
      return prevBound + (b - prevBound) * ((rank - prevCount) / Math.max(c - prevCount, 1e-9));
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound;
}

// ---- formatting -------------------------------------------------------------------------

function fmtNumber(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  if (Number.isInteger(v)) return String(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : v.toFixed(3);
}

function fmtSeconds(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (v < 1) return (v * 1000).toFixed(v < 0.01 ? 2 : 0) + ' ms';
  if (v < 120) return v.toFixed(1) + ' s';
  if (v < 7200) return (v / 60).toFixed(1) + ' min';
  return (v / 3600).toFixed(1) + ' h';
}

function fmtBytes(v) {
  if (v === null || Number.isNaN(v)) return '–';
  return (v / 1048576).toFixed(0) + ' MiB';
}

// ---- tiles ------------------------------------------------------------------------------

// Each tile shows one /metrics value; data-metric names it (the dashboard test reads these).
const TILES = [
  {id: 'received', label: 'records received', metric: 'supportpipe_raw_records_total',
   filter: {outcome: 'appended'}, kind: 'sum'},
  {id: 'events', label: 'events in the log', metric: 'supportpipe_log_last_offset',
   filter: {stream: 'events'}},
  {id: 'tickets', label: 'tickets', metric: 'supportpipe_tickets'},
  {id: 'freshness', label: 'warehouse freshness', metric: 'supportpipe_warehouse_freshness_seconds',
   format: fmtSeconds, warn: 300, bad: 900},
  {id: 'loader-lag', label: 'loader lag', metric: 'supportpipe_consumer_lag_seconds',
   filter: {consumer: 'loader'}, format: fmtSeconds, warn: 30, bad: 300},
  {id: 'dead-letters', label: 'dead letters open', metric: 'supportpipe_dead_letters_open',
   warn: 1, bad: 100},
  {id: 'sla-active', label: 'SLA clocks running', metric: 'supportpipe_sla_clocks',
   filter: {state: 'active'}},
  {id: 'sla-at-risk', label: 'SLAs at risk', metric: 'supportpipe_sla_clocks',
   filter: {state: 'at_risk'}, warn: 1},
  {id: 'sla-breached', label: 'SLAs breached', metric: 'supportpipe_sla_clocks',
   filter: {state: 'breached'}, warn: 1},
  {id: 'surges', label: 'surges detected', metric: 'supportpipe_surges_total', kind: 'sum', warn: 1},
  {id: 'alerts', label: 'alerts firing', metric: 'supportpipe_alerts_firing', kind: 'sum', bad: 1},
  {id: 'memory', label: 'memory (RSS)', metric: 'process_resident_memory_bytes', format: fmtBytes},
];

function tileValue(m, t) {
  return t.kind === 'sum' ? sum(m, t.metric, t.filter) : gauge(m, t.metric, t.filter);
}

function renderTiles() {
  const root = document.getElementById('tiles');
  const i = history.length - 1;
  const m = history[i].m;
  const then = history[readingBefore(300, i)];
  for (const t of TILES) {
    let el = document.getElementById('tile-' + t.id);
    if (!el) {
      el = document.createElement('div');
      el.id = 'tile-' + t.id;
      el.className = 'tile';
      el.dataset.metric = t.metric;
      el.dataset.filter = JSON.stringify(t.filter || {});
      el.dataset.kind = t.kind || 'gauge';
      el.innerHTML = `<div class="label">${t.label}</div><div class="value"></div><div class="trend"></div>`;
      root.appendChild(el);
    }
    const v = tileValue(m, t);
    el.dataset.value = v === null ? '' : String(v);
    el.querySelector('.value').textContent = (t.format || fmtNumber)(v);
    const before = tileValue(then.m, t);
    const d = v !== null && before !== null ? v - before : null;
    const span = Math.round(history[i].t - then.t);
    el.querySelector('.trend').textContent =
        d === null || span <= 0 ? '' : `${d > 0 ? '▲' : d < 0 ? '▼' : '·'} ${
            t.format ? t.format(Math.abs(d)) : fmtNumber(Math.abs(d))} in ${span} s`;
    el.classList.toggle('warn', t.warn !== undefined && v >= t.warn && !(t.bad && v >= t.bad));
    el.classList.toggle('bad', t.bad !== undefined && v >= t.bad);
  }
}

// ---- charts -----------------------------------------------------------------------------

// Draws `series` ([{name, fn(i) -> value|null}]) over the window as an SVG line chart.
function drawChart(id, series, format) {
  const el = document.getElementById(id);
  const w = Math.max(el.clientWidth, 300), h = 180, left = 52, bottom = 16;
  const last = history.length - 1;
  const from = history[last].t - windowS;
  const lines = series.map((s) => {
    const pts = [];
    for (let i = readingBefore(windowS, last); i <= last; i++) {
      const v = s.fn(i);
      if (v !== null && Number.isFinite(v)) pts.push([history[i].t, v]);
    }
    return {name: s.name, pts};
  });
  let max = 0;
  for (const l of lines) for (const p of l.pts) max = Math.max(max, p[1]);
  if (max <= 0) max = 1;
  max *= 1.1;
  const x = (t) => left + ((t - from) / windowS) * (w - left - 4);
  const y = (v) => 4 + (1 - v / max) * (h - bottom - 8);
  let svg = `<svg viewBox="0 0 ${w} ${h}" data-series="${lines.length}" data-points="${
      lines.reduce((n, l) => n + l.pts.length, 0)}">`;
  for (const f of [0, 0.5, 1]) {
    const v = (max / 1.1) * f;
    svg += `<line class="axis" x1="${left}" x2="${w}" y1="${y(v)}" y2="${y(v)}"/>`;
    svg += `<text x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${format(v)}</text>`;
  }
  svg += `<text x="${left}" y="${h - 2}">-${Math.round(windowS / 60)} min</text>`;
  svg += `<text x="${w - 4}" y="${h - 2}" text-anchor="end">now</text>`;
  if (lines.every((l) => !l.pts.length)) {
    svg += `<text x="${(w + left) / 2}" y="${h / 2}" text-anchor="middle">nothing in this window yet</text>`;
  }
  lines.forEach((l, k) => {
    if (!l.pts.length) return;
    const d = l.pts.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`);
    svg += `<path d="${d.join('')}" stroke="${COLORS[k % COLORS.length]}"/>`;
  });
  svg += '</svg><div class="legend">';
  lines.forEach((l, k) => {
    const latest = l.pts.length ? format(l.pts[l.pts.length - 1][1]) : '–';
    svg += `<span><i style="background:${COLORS[k % COLORS.length]}"></i>${l.name} ${latest}</span>`;
  });
  el.innerHTML = svg + '</div>';
}

function latestLabels(name, label) {
  return [...new Set(labelValues(history[history.length - 1].m, name, label))].sort();
}

function renderCharts() {
  const sources = latestLabels('supportpipe_raw_records_total', 'source');
  drawChart('chart-throughput', [
    ...sources.map((s) => ({name: `${s} received`,
                            fn: (i) => rate(i, 'supportpipe_raw_records_total', {source: s, outcome: 'appended'})})),
    {name: 'processed', fn: (i) => rate(i, 'supportpipe_processed_events_total', {})},
    {name: 'loaded', fn: (i) => rate(i, 'supportpipe_loaded_events_total', {})},
  ], fmtNumber);
  const stages = ['logged', 'processed', 'loaded', 'delivered'].filter(
      (st) => latestLabels('supportpipe_stage_latency_seconds_count', 'stage').includes(st));
  drawChart('chart-latency', stages.flatMap((st) => [
    {name: `${st} p50`, fn: (i) => quantile(0.5, i, 'supportpipe_stage_latency_seconds', {stage: st})},
    {name: `${st} p99`, fn: (i) => quantile(0.99, i, 'supportpipe_stage_latency_seconds', {stage: st})},
  ]), fmtSeconds);
  const consumers = latestLabels('supportpipe_consumer_lag_seconds', 'consumer');
  drawChart('chart-lag', [
    ...consumers.map((c) => ({name: `${c} lag`,
                              fn: (i) => gauge(history[i].m, 'supportpipe_consumer_lag_seconds', {consumer: c})})),
    {name: 'freshness', fn: (i) => gauge(history[i].m, 'supportpipe_warehouse_freshness_seconds', {})},
  ], fmtSeconds);
  drawChart('chart-errors', [
    {name: 'dead letters open', fn: (i) => gauge(history[i].m, 'supportpipe_dead_letters_open', {})},
    {name: 'retries/s', fn: (i) => rate(i, 'supportpipe_delivery_attempts_total', {outcome: 'retry'})},
    {name: 'outbox pending', fn: (i) => sum(history[i].m, 'supportpipe_outbox_deliveries', {state: 'pending'})},
    {name: 'refused/s', fn: (i) => rate(i, 'supportpipe_auth_failures_total', {})},
  ], fmtNumber);
  drawChart('chart-sla', ['active', 'at_risk', 'breached'].map((st) => ({
    name: st.replace('_', ' '), fn: (i) => gauge(history[i].m, 'supportpipe_sla_clocks', {state: st})})),
    fmtNumber);
  drawChart('chart-alerts', [
    {name: 'surges', fn: (i) => sum(history[i].m, 'supportpipe_surges_total', {})},
    {name: 'alerts firing', fn: (i) => sum(history[i].m, 'supportpipe_alerts_firing', {})},
    {name: 'escalations', fn: (i) => sum(history[i].m, 'supportpipe_rule_events_total', {type: 'ticket.escalated'})},
    {name: 'SLA breaches', fn: (i) => sum(history[i].m, 'supportpipe_sla_events_total', {type: 'sla.breached'})},
  ], fmtNumber);
}

// ---- tables -----------------------------------------------------------------------------

function fillTable(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.innerHTML = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
}

function renderTables() {
  const i = history.length - 1, m = history[i].m;
  const sources = [...new Set([
    ...labelValues(m, 'supportpipe_raw_records_total', 'source'),
    ...labelValues(m, 'supportpipe_loaded_events_total', 'source')])].sort();
  fillTable('sources', sources.map((s) => [
    s,
    fmtNumber(rate(i, 'supportpipe_raw_records_total', {source: s, outcome: 'appended'})),
    fmtNumber(sum(m, 'supportpipe_raw_records_total', {source: s, outcome: 'appended'})),
    fmtNumber(sum(m, 'supportpipe_raw_records_total', {source: s, outcome: 'duplicate'})),
    fmtNumber(sum(m, 'supportpipe_processed_events_total', {source: s})),
    fmtNumber(sum(m, 'supportpipe_dead_letters_total', {source: s})),
    fmtNumber(sum(m, 'supportpipe_loaded_events_total', {source: s})),
    fmtNumber(sum(m, 'supportpipe_auth_failures_total', {source: s})),
    fmtSeconds(quantile(0.99, i, 'supportpipe_stage_latency_seconds', {stage: 'logged', source: s}, 0)),
    fmtSeconds(quantile(0.99, i, 'supportpipe_stage_latency_seconds', {stage: 'loaded', source: s}, 0)),
  ]));
  const dests = latestLabels('supportpipe_outbox_deliveries', 'destination');
  fillTable('destinations', dests.map((d) => [
    d,
    fmtNumber(gauge(m, 'supportpipe_outbox_deliveries', {destination: d, state: 'pending'})),
    fmtSeconds(gauge(m, 'supportpipe_outbox_oldest_pending_seconds', {destination: d})),
    fmtNumber(gauge(m, 'supportpipe_outbox_deliveries', {destination: d, state: 'dead'})),
    fmtNumber(sum(m, 'supportpipe_delivery_attempts_total', {destination: d, outcome: 'delivered'})),
    fmtNumber(sum(m, 'supportpipe_delivery_attempts_total', {destination: d, outcome: 'retry'})),
    gauge(m, 'supportpipe_destination_circuit_open', {destination: d}) ? 'open' : 'closed',
  ]));
}

// ---- the loop ---------------------------------------------------------------------------

const status = {ticks: 0, errors: 0};
window.supportpipeDashboard = status;  // for the dashboard test

function render() {
  if (!history.length) return;
  renderTiles();
  renderCharts();
  renderTables();
}

async function tick() {
  const state = document.getElementById('state');
  try {
    const r = await fetch('/metrics', {cache: 'no-store'});
    if (!r.ok) throw new Error(`/metrics answered ${r.status}`);
    const text = await r.text();
    history.push({t: performance.now() / 1000, m: parseMetrics(text)});
    while (history.length > 2 && history[history.length - 1].t - history[1].t > 3600) history.shift();
    render();
    status.ticks++;
    state.textContent = `live · ${new Date().toLocaleTimeString()}`;
    state.className = 'state ok';
  } catch (e) {
    status.errors++;
    state.textContent = `cannot read /metrics (${e.message}); retrying`;
    state.className = 'state bad';
  }
  setTimeout(tick, INTERVAL_S * 1000);
}

tick();
