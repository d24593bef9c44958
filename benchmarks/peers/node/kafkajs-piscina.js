/**
 * Peer "kafkajs-piscina": the usual way to add CPU parallelism to a KafkaJS consumer. eachBatch
 * packs the batch's keys and values into one ArrayBuffer, moves it to a Piscina pool of `--threads`
 * workers (spin-worker.js) and produces the outputs they return (acks=all, idempotent); the batch's
 * offsets are resolved after the outputs are acknowledged (peer-common.js). Per-partition order
 * holds because KafkaJS hands out the next batch of a partition only after eachBatch for the
 * previous one returned. 2 × threads partitions are consumed concurrently so the pool has work
 * queued while other batches are being produced.
 */
const path = require('node:path');
const { Piscina } = require('piscina');
const { runPeer } = require('./peer-common.js');
const { encode, decode } = require('./batch-codec.js');

runPeer('kafkajs-piscina', (options) => {
  process.env.SPIN_US = String(options.spinUs); // worker threads start with a copy of process.env
  const pool = new Piscina({
    filename: path.join(__dirname, 'spin-worker.js'),
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: 60_000,
  });
  return {
    concurrency: options.threads * 2,
    close: () => pool.destroy(),
    transform: async (batch) => {
      const records = batch.messages;
      const input = encode(
        records.map((m) => m.key),
        records.map((m) => m.value),
      );
      const output = await pool.run(Piscina.move(input));
      const messages = [];
      decode(output, (key, value) => messages.push({ key, value }));
      return messages;
    },
  };
});
