/**
 * The live status page served at `/`: one self-contained HTML document with inline CSS and
 * script, no build step and no external assets (the Content-Security-Policy below forbids them),
 * polling `status.json` every second. Throughput is computed in the page from the consumed and
 * produced counters over the last few seconds, so the server keeps no per-viewer state. Under a
 * supervisor (`turbine run --processes N`) the page also lists the engine processes, and which
 * process owns each partition.
 */

/** Sent with the page: only inline style and script, and fetches back to this server. */
export const STATUS_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { --fg: #1d2430; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --card: #fff; --accent: #2563eb;
  --ok: #15803d; --warn: #b45309; --bad: #b91c1c; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8eb; --muted: #98a2b3; --line: #2b313b; --bg: #12151a; --card: #1a1e25; --accent: #60a5fa; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 24px; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin-bottom: 16px; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 13px; margin: 0 0 8px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.muted { color: var(--muted); }
.badge { padding: 2px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: var(--line); }
.badge.running { background: #dcfce7; color: var(--ok); }
.badge.starting, .badge.draining { background: #fef3c7; color: var(--warn); }
.badge.closed, .badge.offline { background: #fee2e2; color: var(--bad); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.big { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.bar { height: 6px; background: var(--line); border-radius: 3px; margin-top: 8px; overflow: hidden; }
.bar > div { height: 100%; width: 0; background: var(--accent); transition: width .3s; }
.cols { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; }
@media (max-width: 800px) { .cols { grid-template-columns: 1fr; } }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; }
tr.paused td { color: var(--warn); }
ol { list-style: none; margin: 0; padding: 0; }
li { padding: 4px 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
li .kind { font-weight: 600; margin-right: 6px; }
li.error .kind, li.dead-letter .kind { color: var(--bad); }
li.revoked .kind { color: var(--warn); }
footer { margin-top: 14px; font-size: 12px; }
.proc { display: none; }
body.multi .proc { display: table-cell; }
#processes-card { margin-bottom: 12px; }
`;

// Plain ES2020 without template literals, so it can sit inside this TypeScript template string.
const SCRIPT = `
'use strict';
var WINDOW_MS = 5000;
var samples = [];
function $(id) { return document.getElementById(id); }
function show(id, text) { $(id).textContent = text; }
function num(n) { return n == null ? '\\u2013' : Math.round(n).toLocaleString('en-US'); }
function pct(r) { return (r * 100).toFixed(0) + ' %'; }
function secs(s) {
  if (s == null) return '\\u2013';
  if (s < 0.01) return (s * 1000).toFixed(1) + ' ms';
  if (s < 1) return (s * 1000).toFixed(0) + ' ms';
  return s.toFixed(2) + ' s';
}
function bytes(b) {
  if (b < 1024) return b + ' B';
  if (b < 1048576) return (b / 1024).toFixed(1) + ' KiB';
  return (b / 1048576).toFixed(1) + ' MiB';
}
function clock(t) { return new Date(t).toLocaleTimeString('en-GB'); }
function rate(key) {
  if (samples.length < 2) return null;
  var a = samples[0], b = samples[samples.length - 1];
  // A restarted process can set a total back a little; show nothing rather than a negative rate.
  return b.t > a.t && b[key] >= a[key] ? ((b[key] - a[key]) * 1000) / (b.t - a.t) : null;
}
function bar(id, ratio) { $(id).style.width = Math.max(0, Math.min(1, ratio)) * 100 + '%'; }
function cell(row, text, cls) {
  var td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
}
function render(s) {
  samples.push({ t: s.time, consumed: s.consumed, produced: s.produced, busy: s.pool.busySeconds });
  while (samples.length > 2 && s.time - samples[1].t >= WINDOW_MS) samples.shift();
  var state = $('state');
  state.textContent = s.state;
  state.className = 'badge ' + s.state;
  var procs = s.processes;
  show('route', s.input + ' \\u2192 ' + s.output + ' \\u00b7 group ' + s.group + ' \\u00b7 worker ' + s.worker +
    (procs ? ' \\u00b7 ' + procs.length + ' processes' : ''));
  show('consumed-rate', num(rate('consumed')));
  show('produced-rate', num(rate('produced')));
  show('consumed', num(s.consumed));
  show('produced', num(s.produced));
  show('in-flight', num(s.inFlightRecords));
  show('in-flight-detail', 'of ' + num(s.maxInFlightRecords) + ' records \\u00b7 ' + bytes(s.inFlightBytes));
  bar('in-flight-bar', s.inFlightRecords / s.maxInFlightRecords);
  // Worker seconds per wall-clock second over the window, shared out over the threads.
  var busy = rate('busy');
  show('pool', busy == null ? '\\u2013' : pct(busy / s.pool.threads));
  show('pool-detail', s.pool.threads + ' threads \\u00b7 ' + s.pool.queueDepth + ' batches queued');
  bar('pool-bar', busy == null ? 0 : busy / s.pool.threads);
  show('e2e', secs(s.latency.endToEnd.p50) + ' / ' + secs(s.latency.endToEnd.p99));
  show('task', secs(s.latency.task.p50) + ' / ' + secs(s.latency.task.p99));
  show('dead-lettered', num(s.deadLettered));
  var paused = s.partitions.filter(function (p) { return p.paused; });
  show('paused', paused.length + ' of ' + s.partitions.length);
  show('paused-detail', paused.length ? paused.map(function (p) { return p.partition; }).join(', ') + ' \\u00b7 ' + num(s.pauses) + ' pauses' : num(s.pauses) + ' pauses since start');
  var body = document.createElement('tbody');
  var totalLag = 0;
  s.partitions.forEach(function (p) {
    var row = document.createElement('tr');
    if (p.paused) row.className = 'paused';
    cell(row, p.topic);
    cell(row, String(p.partition), 'num');
    cell(row, num(p.lag), 'num');
    cell(row, p.paused ? 'paused' : 'flowing');
    cell(row, p.threads.join(', ') || '\\u2013');
    cell(row, p.process == null ? '\\u2013' : String(p.process), 'num proc');
    body.appendChild(row);
    totalLag += p.lag || 0;
  });
  $('partitions').replaceChild(body, $('partitions').tBodies[0]);
  show('lag-total', num(totalLag) + ' records behind');
  document.body.className = procs ? 'multi' : '';
  $('processes-card').hidden = !procs;
  if (procs) {
    var pbody = document.createElement('tbody');
    procs.forEach(function (p) {
      var row = document.createElement('tr');
      if (p.state !== 'running') row.className = 'paused';
      cell(row, String(p.index), 'num');
      cell(row, p.pid == null ? '\\u2013' : String(p.pid), 'num');
      cell(row, p.state);
      cell(row, String(p.threads), 'num');
      cell(row, String(p.partitions), 'num');
      cell(row, num(p.consumed), 'num');
      cell(row, String(p.restarts), 'num');
      cell(row, p.lastExit ? (p.lastExit.signal || 'exit code ' + p.lastExit.code) + ' at ' + clock(p.lastExit.time) : '\\u2013');
      pbody.appendChild(row);
    });
    $('processes').replaceChild(pbody, $('processes').tBodies[0]);
  }
  var list = $('events');
  list.textContent = '';
  if (s.events.length === 0) {
    var none = document.createElement('li');
    none.className = 'muted';
    none.textContent = 'nothing yet';
    list.appendChild(none);
  }
  s.events.forEach(function (e) {
    var li = document.createElement('li');
    li.className = e.kind;
    var time = document.createElement('span');
    time.className = 'muted';
    time.textContent = clock(e.time) + ' ';
    var kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = e.kind + (e.process == null ? '' : ' p' + e.process) + ' ';
    li.appendChild(time);
    li.appendChild(kind);
    li.appendChild(document.createTextNode(e.message));
    list.appendChild(li);
  });
  var ks = s.keyedState;
  $('state-card').hidden = !ks;
  if (ks) {
    show('state-store', ks.store);
    show('state-keys', num(ks.keys));
    show('state-detail', (ks.restoringPartitions ? 'restoring ' + ks.restoringPartitions + ' partitions \u00b7 ' : 'restored \u00b7 ') +
      num(ks.restoredRecords) + ' changelog records read \u00b7 ' +
      (ks.instances.length ? ks.instances.map(function (i) { return i.url + ' [' + i.partitions.join(', ') + ']'; }).join(', ') : 'no instances announced'));
  }
  show('updated', 'updated ' + clock(s.time));
}
function tick() {
  fetch('status.json', { cache: 'no-store' })
    .then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    })
    .then(render)
    .catch(function (err) {
      var state = $('state');
      state.textContent = 'offline';
      state.className = 'badge offline';
      show('updated', 'cannot reach the engine: ' + err.message);
    })
    .finally(function () { setTimeout(tick, 1000); });
}
tick();
`;

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Turbine status</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Turbine</h1>
  <span id="state" class="badge">loading</span>
  <span id="route" class="muted"></span>
</header>
<section class="grid">
  <div class="card"><h2>Consumed / s</h2><div id="consumed-rate" class="big">&ndash;</div>
    <div class="muted">total <span id="consumed">&ndash;</span></div></div>
  <div class="card"><h2>Produced / s</h2><div id="produced-rate" class="big">&ndash;</div>
    <div class="muted">total <span id="produced">&ndash;</span></div></div>
  <div class="card"><h2>In flight</h2><div id="in-flight" class="big">&ndash;</div>
    <div id="in-flight-detail" class="muted"></div><div class="bar"><div id="in-flight-bar"></div></div></div>
  <div class="card"><h2>Pool busy, last 5 s</h2><div id="pool" class="big">&ndash;</div>
    <div id="pool-detail" class="muted"></div><div class="bar"><div id="pool-bar"></div></div></div>
  <div class="card"><h2>End-to-end p50 / p99</h2><div id="e2e" class="big">&ndash;</div>
    <div class="muted">record timestamp to output acknowledged, since start</div></div>
  <div class="card"><h2>Worker task p50 / p99</h2><div id="task" class="big">&ndash;</div>
    <div class="muted">time per batch inside a worker, since start</div></div>
  <div class="card"><h2>Paused partitions</h2><div id="paused" class="big">&ndash;</div>
    <div id="paused-detail" class="muted"></div></div>
  <div class="card" id="state-card" hidden><h2>State store <span id="state-store"></span></h2><div id="state-keys" class="big">&ndash;</div>
    <div id="state-detail" class="muted"></div></div>
  <div class="card"><h2>Dead-lettered</h2><div id="dead-lettered" class="big">&ndash;</div>
    <div class="muted">records sent to the dead-letter topic</div></div>
</section>
<div class="card" id="processes-card" hidden><h2>Engine processes</h2>
  <table id="processes">
    <thead><tr><th class="num">Process</th><th class="num">PID</th><th>State</th><th class="num">Threads</th><th class="num">Partitions</th><th class="num">Consumed</th><th class="num">Restarts</th><th>Last exit</th></tr></thead>
    <tbody></tbody>
  </table></div>
<section class="cols">
  <div class="card"><h2>Partitions &middot; <span id="lag-total"></span></h2>
    <table id="partitions">
      <thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Lag</th><th>Flow</th><th>Threads</th><th class="num proc">Process</th></tr></thead>
      <tbody></tbody>
    </table></div>
  <div class="card"><h2>Recent events</h2><ol id="events"></ol></div>
</section>
<footer class="muted"><span id="updated">waiting for the first update</span> &middot; refreshes every second &middot;
  <a href="metrics">/metrics</a> &middot; <a href="status.json">/status.json</a></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
