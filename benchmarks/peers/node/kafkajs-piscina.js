/**
 * Peer "kafkajs-piscina": the usual way to add CPU parallelism to a KafkaJS consumer. eachBatch
 * packs the batch's keys and values into one ArrayBuffer, moves it to a Piscina pool of `--threads`
 * workers (spin-worker.js) and produces the outputs they return (acks=all, idempotent); the batch's
 * offsets are resolved after the outputs are acknowledged (peer-common.js). Per-partition order
 * holds because KafkaJS hands out the next batch of a partition only after eachBatch for the
 * previous one returned. 2 × threads partitions are consumed concurrently so the pool has work
 * queued while other batches are being produced.
 *
 * With `--worker FILE --value-format raw|json` the pool runs that Turbine worker module
 * (workload-worker.js) instead of the spin: the same compiled function `turbine run` loads, over
 * the same batches, its outputs produced with the worker's headers.
 */
const path = require('node:path');
const { Piscina } = require('piscina');
const { runPeer } = require('./peer-common.js');
const { encode, decode } = require('./batch-codec.js');

runPeer('kafkajs-piscina', (options) => {
  // Worker threads start with a copy of process.env.
  process.env.SPIN_US = String(options.spinUs);
  if (options.worker !== undefined) {
    process.env.PEER_WORKER = options.worker;
    process.env.PEER_VALUE_FORMAT = options.valueFormat;
  }
  const pool = new Piscina({
    filename: path.join(__dirname, options.worker === undefined ? 'spin-worker.js' : 'workload-worker.js'),
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: 60_000,
  });
  const pack = (records) =>
    encode(
      records.map((m) => m.key),
      records.map((m) => m.value),
    );
  const spinBatch = async (batch) => {
    const output = await pool.run(Piscina.move(pack(batch.messages)));
    const messages = [];
    decode(output, (key, value) => messages.push({ key, value }));
    return messages;
  };
  const workloadBatch = async (batch) => {
    const records = batch.messages;
    const buffer = pack(records);
    const task = {
      buffer,
      topic: batch.topic,
      partition: batch.partition,
      offsets: records.map((m) => Number(m.offset)),
      timestamps: records.map((m) => Number(m.timestamp)),
    };
    const output = await pool.run(
      Piscina.move({ [Piscina.transferableSymbol]: [buffer], [Piscina.valueSymbol]: task }),
    );
    const messages = [];
    decode(output.buffer, (key, value, i) => {
      const headers = output.headers[i];
      messages.push(headers ? { key, value, headers } : { key, value });
    });
    return messages;
  };
  return {
    concurrency: options.threads * 2,
    close: () => pool.destroy(),
    transform: options.worker === undefined ? spinBatch : workloadBatch,
  };
});
