/**
 * Piscina task for the kafkajs-piscina peer on a real workload: runs a Turbine worker module
 * (PEER_WORKER, e.g. dist/workers/thumbnail.js, the very file `turbine run` loads) over one
 * packed batch. Values are decoded as PEER_VALUE_FORMAT says (raw: the bytes as a Buffer view;
 * json: JSON.parse of the UTF-8 text) and outputs encoded the same way (raw: the Buffer; json:
 * JSON.stringify), as Turbine's serde does. Returns the outputs packed into one buffer, moved back,
 * with each output's headers beside it.
 */
const { move, transferableSymbol, valueSymbol } = require('piscina');
const { encode, decode } = require('./batch-codec.js');

const workerPath = process.env.PEER_WORKER;
const format = process.env.PEER_VALUE_FORMAT === 'json' ? 'json' : 'raw';
if (!workerPath) throw new Error('PEER_WORKER is not set');
const loaded = require(workerPath);
const fn = typeof loaded === 'function' ? loaded : loaded.default;
if (typeof fn !== 'function') throw new Error(`${workerPath} must export a function`);

const decodeValue = format === 'json' ? (bytes) => JSON.parse(bytes.toString('utf8')) : (bytes) => bytes;

function encodeValue(value) {
  if (format === 'json') return Buffer.from(JSON.stringify(value), 'utf8');
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new TypeError(`raw output values must be Buffer, Uint8Array or string, got ${typeof value}`);
}

function keyBytes(key) {
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/** `task`: { buffer (packed keys and values), topic, partition, offsets, timestamps }. */
module.exports = async (task) => {
  const batch = [];
  decode(task.buffer, (key, value, i) => {
    batch.push({
      key,
      value: decodeValue(value),
      headers: {},
      topic: task.topic,
      partition: task.partition,
      offset: task.offsets[i],
      timestamp: task.timestamps[i],
    });
  });
  const outputs = await fn(batch, {});
  if (!Array.isArray(outputs) || outputs.length !== batch.length)
    throw new Error(`worker returned ${Array.isArray(outputs) ? outputs.length : typeof outputs} for ${batch.length}`);
  const keys = [];
  const values = [];
  const headers = [];
  for (const out of outputs) {
    if (out === null || out === undefined || Array.isArray(out))
      throw new Error('the peer expects one output per input from the worker');
    keys.push(keyBytes(out.key));
    values.push(encodeValue(out.value));
    headers.push(out.headers ?? null);
  }
  const buffer = encode(keys, values);
  return move({ [transferableSymbol]: [buffer], [valueSymbol]: { buffer, headers } });
};
