#!/usr/bin/env node
// Regenerates the generated tables in README.md (configuration, metrics) and docs/errors.md
// from the code (after `npm run build`). Unit tests check the files carry these tables.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const { optionsTable } = require('../dist/src/config/options-table.js');
const { METRIC_DEFINITIONS } = require('../dist/src/observability/metrics.js');
const { SUPERVISOR_METRIC_DEFINITIONS } = require('../dist/src/observability/supervisor-metrics.js');
const { ERROR_CODES, TurbineError } = require('../dist/src/errors.js');

function replaceBetween(text, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`markers ${start} / ${end} not found`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

// "With --processes": how the supervisor's one /metrics serves the metric (metrics-aggregation.ts).
const metrics = ['| Metric | Type | Labels | With --processes | Meaning and what to tune |', '|---|---|---|---|---|'];
const across = { sum: 'sum', 'per-process': 'per process' };
for (const d of Object.values(METRIC_DEFINITIONS)) {
  metrics.push(`| \`${d.name}\` | ${d.type} | ${d.labels.join(', ') || '–'} | ${across[d.aggregate]} | ${d.help} |`);
}
for (const d of Object.values(SUPERVISOR_METRIC_DEFINITIONS)) {
  metrics.push(`| \`${d.name}\` | ${d.type} | ${d.labels.join(', ') || '–'} | supervisor only | ${d.help} |`);
}
const errors = ['| Code | Retriable | Meaning |', '|---|---|---|'];
for (const [code, meaning] of Object.entries(ERROR_CODES)) {
  errors.push(`| \`${code}\` | ${new TurbineError(code, '').retriable ? 'yes' : 'no'} | ${meaning} |`);
}
const readmePath = path.join(root, 'README.md');
let readme = fs.readFileSync(readmePath, 'utf8');
readme = replaceBetween(readme, 'options', optionsTable());
readme = replaceBetween(readme, 'metrics', metrics.join('\n'));
fs.writeFileSync(readmePath, readme);
const errorsPath = path.join(root, 'docs', 'errors.md');
fs.writeFileSync(errorsPath, replaceBetween(fs.readFileSync(errorsPath, 'utf8'), 'codes', errors.join('\n')));
