/**
 * Packs a batch of keys and values into one ArrayBuffer so it crosses the thread boundary with
 * Piscina.move (a transfer, not a clone). Layout: Uint32 count, then per record Uint32 key length
 * (0xffffffff for a null key) and Uint32 value length, then all key and value bytes in order.
 */
const NULL_KEY = 0xffffffff;

function encode(keys, values) {
  const n = values.length;
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += (keys[i] ? keys[i].length : 0) + values[i].length;
  const headerBytes = 4 + n * 8;
  const buffer = new ArrayBuffer(headerBytes + bytes);
  const header = new Uint32Array(buffer, 0, 1 + n * 2);
  const body = new Uint8Array(buffer, headerBytes);
  header[0] = n;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    const value = values[i];
    header[1 + i * 2] = key ? key.length : NULL_KEY;
    header[2 + i * 2] = value.length;
    if (key) {
      body.set(key, at);
      at += key.length;
    }
    body.set(value, at);
    at += value.length;
  }
  return buffer;
}

/** Calls visit(key, value) with views into the buffer (Buffer or null key, Buffer value). */
function decode(buffer, visit) {
  const n = new Uint32Array(buffer, 0, 1)[0];
  const header = new Uint32Array(buffer, 0, 1 + n * 2);
  let at = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const keyLength = header[1 + i * 2];
    const valueLength = header[2 + i * 2];
    let key = null;
    if (keyLength !== NULL_KEY) {
      key = Buffer.from(buffer, at, keyLength);
      at += keyLength;
    }
    const value = Buffer.from(buffer, at, valueLength);
    at += valueLength;
    visit(key, value, i);
  }
  return n;
}

module.exports = { encode, decode };
