/**
 * Piscina task for the kafkajs-piscina peer: decodes one packed batch, spins SPIN_US µs per record,
 * and returns the outputs (same key and value) packed into a new buffer, moved back to the main thread.
 */
const { move } = require('piscina');
const { encode, decode } = require('./batch-codec.js');
const { spin } = require('./spin.js');

const spinUs = Number.parseInt(process.env.SPIN_US ?? '0', 10);

module.exports = (input) => {
  const keys = [];
  const values = [];
  decode(input, (key, value) => {
    spin(spinUs);
    keys.push(key);
    values.push(value);
  });
  return move(encode(keys, values));
};
