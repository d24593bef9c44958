/**
 * Peer "kafkajs-main": KafkaJS eachBatch with the work in the main thread. Each batch (one
 * partition) is spun record by record, produced (acks=all, idempotent), and its offsets are
 * resolved only after the outputs are acknowledged (peer-common.js). `--threads` partitions are
 * consumed concurrently, so one batch's produce round trip overlaps another batch's spinning; the
 * spinning itself never runs in parallel (one JavaScript thread).
 */
const { runPeer } = require('./peer-common.js');
const { spin } = require('./spin.js');

runPeer('kafkajs-main', (options) => ({
  concurrency: options.threads,
  transform: async (batch) => {
    const records = batch.messages;
    const messages = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      spin(options.spinUs);
      messages[i] = { key: records[i].key, value: records[i].value };
    }
    return messages;
  },
}));
