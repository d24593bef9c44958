#!/usr/bin/env node
// Postinstall: patches node-rdkafka 3.6.1's addon and rebuilds it incrementally (about 30 s; the
// bundled librdkafka is not recompiled). Three edits, each skipped if already in place:
//  1. Lift the cap of 100 delivery reports handed to JavaScript per event-loop turn
//     (src/callbacks.cc). With the cap, a busy main thread received 100 acknowledgements per turn
//     and outputs waited in the producer: produce-to-ack fell from 320 ms to 31 ms at W = 0.
//  2. Compile Turbine's batch path (scripts/native/turbine-batch.cc: consume a batch into one
//     buffer, produce a packed batch) into the addon, registered in src/binding.cc.
//  3. Gather the delivery reports of batch-produced messages (opaque tagged in its low bit) into
//     one Float64Array per flush instead of one JavaScript call each (src/callbacks.cc).
// Non-fatal: if anything fails, the original sources are restored, the stock addon is rebuilt,
// and Turbine uses node-rdkafka's stock consume/produce path (src/kafka/native-batch.ts).
// `--check` only reports whether the batch path is in the built addon (exit 1 if not).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const pkg = path.join(__dirname, '..', 'node_modules', 'node-rdkafka');
const addon = path.join(pkg, 'build', 'Release', 'node-librdkafka.node');
const nativeSource = path.join(__dirname, 'native', 'turbine-batch.cc');

function log(message) {
  process.stderr.write(`[patch-node-rdkafka] ${message}\n`);
}

const FLUSH_LOOP = `    const DeliveryReport& event = events_list[i];
`;
const FLUSH_TAGGED = `    const DeliveryReport& event = events_list[i];
    // turbine-batch: reports of batch-produced messages (opaque = token << 1 | 1) are gathered.
    if (reinterpret_cast<uintptr_t>(event.opaque) & 1) {
      turbine_reports.push_back(static_cast<double>(reinterpret_cast<uintptr_t>(event.opaque) >> 1));
      turbine_reports.push_back(event.partition);
      turbine_reports.push_back(static_cast<double>(event.offset));
      turbine_reports.push_back(event.is_error ? static_cast<double>(event.error_code) : 0);
      if (event.is_error) turbine_errors.push_back(event.error_string);
      if (event.key) free(event.key);
      if (event.payload) free(event.payload);
      continue;
    }
`;
const FLUSH_BEFORE_LOOP = `  for (size_t i = 0; i < events_list.size(); i++) {
    v8::Local<v8::Value> argv[argc] = {};
`;
const FLUSH_DECLARE = `  std::vector<double> turbine_reports;
  std::vector<std::string> turbine_errors;
${FLUSH_BEFORE_LOOP}`;
const FLUSH_TAIL = `  if (outstanding_event_count > events_list.size()) {
    Execute();
  }
}

// This only exists`;
const FLUSH_DISPATCH = `  if (!turbine_reports.empty()) {
    v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(v8::Isolate::GetCurrent(), turbine_reports.size() * sizeof(double));
    memcpy(buffer->Data(), turbine_reports.data(), turbine_reports.size() * sizeof(double));
    Local<Object> batch(Nan::New<Object>());
    Nan::Set(batch, Nan::New("turbineBatch").ToLocalChecked(), v8::Float64Array::New(buffer, 0, turbine_reports.size()));
    v8::Local<v8::Array> errors = Nan::New<v8::Array>(static_cast<int>(turbine_errors.size()));
    for (size_t e = 0; e < turbine_errors.size(); e++) Nan::Set(errors, static_cast<uint32_t>(e), Nan::New(turbine_errors[e]).ToLocalChecked());
    Nan::Set(batch, Nan::New("errors").ToLocalChecked(), errors);
    v8::Local<v8::Value> argv[argc] = {Nan::Null(), batch};
    Dispatch(argc, argv);
  }
${FLUSH_TAIL}`;

/** Each edit: the file, a marker saying it is applied, and the replacements that apply it. */
const EDITS = [
  {
    file: 'src/callbacks.cc',
    marker: '100000UL',
    replace: [['std::min<size_t>(outstanding_event_count, 100UL)', 'std::min<size_t>(outstanding_event_count, 100000UL)']],
  },
  {
    file: 'src/callbacks.cc',
    marker: 'turbine-batch',
    replace: [
      [FLUSH_LOOP, FLUSH_TAGGED],
      [FLUSH_BEFORE_LOOP, FLUSH_DECLARE],
      [FLUSH_TAIL, FLUSH_DISPATCH],
    ],
  },
  {
    file: 'src/binding.cc',
    marker: 'TurbineBatch',
    replace: [
      ['#include "src/binding.h"\n', '#include "src/binding.h"\n\nnamespace TurbineBatch { void Init(v8::Local<v8::Object>); }\n'],
      ['  ConstantsInit(exports);\n', '  ConstantsInit(exports);\n  TurbineBatch::Init(exports);\n'],
    ],
  },
  {
    file: 'binding.gyp',
    marker: 'turbine-batch.cc',
    replace: [["'src/admin.cc'\n", "'src/admin.cc',\n        'src/turbine-batch.cc'\n"]],
  },
];

function nodeGyp() {
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(__dirname, '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => fs.existsSync(c));
}

function batchPathBuilt() {
  try {
    const out = execFileSync(process.execPath, ['-e', `process.stdout.write(String(typeof require(${JSON.stringify(addon)}).turbineConsumeBatch))`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return String(out) === 'function';
  } catch {
    return false;
  }
}

/** The Node headers the first build used (npm's nodedir), so configuring again needs no download. */
function nodedirArgs() {
  const fromEnv = process.env.npm_config_nodedir;
  if (fromEnv) return [`--nodedir=${fromEnv}`];
  try {
    const gypi = fs.readFileSync(path.join(pkg, 'build', 'config.gypi'), 'utf8');
    const match = /"nodedir": "([^"]+)"/.exec(gypi);
    return match ? [`--nodedir=${match[1]}`] : [];
  } catch {
    return [];
  }
}

function rebuild(gyp) {
  // binding.gyp changed: configure again; librdkafka's own build is incremental (make).
  execFileSync(process.execPath, [gyp, 'configure', ...nodedirArgs()], { cwd: pkg, stdio: 'pipe' });
  execFileSync(process.execPath, [gyp, 'build', '--jobs', '2'], { cwd: pkg, stdio: 'pipe' });
}

if (process.argv.includes('--check')) {
  const built = fs.existsSync(addon) && batchPathBuilt();
  log(built ? 'batch path built' : 'batch path NOT built (stock node-rdkafka path in use)');
  process.exit(built ? 0 : 1);
}
if (!fs.existsSync(addon)) {
  log('node-rdkafka is not built here; nothing to patch');
  process.exit(0);
}

const originals = new Map();
let changed = false;
for (const edit of EDITS) {
  const file = path.join(pkg, edit.file);
  const source = fs.readFileSync(file, 'utf8');
  if (!originals.has(file)) originals.set(file, source);
  if (source.includes(edit.marker)) continue;
  let next = source;
  for (const [from, to] of edit.replace) {
    if (!next.includes(from)) {
      log(`anchor not found in ${edit.file} (node-rdkafka changed?); leaving node-rdkafka as it is`);
      for (const [f, text] of originals) fs.writeFileSync(f, text);
      process.exit(0);
    }
    next = next.replace(from, to);
  }
  fs.writeFileSync(file, next);
  changed = true;
}
const target = path.join(pkg, 'src', 'turbine-batch.cc');
const wanted = fs.readFileSync(nativeSource, 'utf8');
if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== wanted) {
  fs.writeFileSync(target, wanted);
  changed = true;
}
if (!changed && batchPathBuilt()) {
  log('already patched');
  process.exit(0);
}
const gyp = nodeGyp();
if (!gyp) {
  log('node-gyp not found; leaving node-rdkafka as it is');
  for (const [f, text] of originals) fs.writeFileSync(f, text);
  process.exit(0);
}
try {
  rebuild(gyp);
  log(batchPathBuilt() ? 'patched: delivery-report cap lifted, batch path built' : 'rebuilt, but the batch path does not load');
} catch (error) {
  const detail = String(error.stderr ?? error.message)
    .split('\n')
    .filter((l) => /error/i.test(l))
    .slice(0, 8)
    .join('\n');
  log(`rebuild failed; restoring the original sources and the stock addon\n${detail}`);
  for (const [f, text] of originals) fs.writeFileSync(f, text);
  fs.rmSync(target, { force: true });
  try {
    rebuild(gyp);
  } catch (again) {
    log(`stock rebuild failed too: ${String(again.message).split('\n')[0]}`);
  }
}
