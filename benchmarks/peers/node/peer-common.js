/**
 * What the two KafkaJS peers share: the run-peer.sh argument contract, lineage headers so
 * `turbine verify` can check outputs, client settings kept as close to Turbine's as KafkaJS allows,
 * ordered chunked sends, acknowledgement tracking, and the one JSON result line.
 */
const { cpus } = require('node:os');
const path = require('node:path');
const { Kafka, Partitioners, logLevel } = require('kafkajs');

const USAGE =
  'usage: <peer> --brokers B --input T --output T2 --group G --spin-us W --threads N --order partition|key --count C [--timeout-s S] [--worker FILE --value-format raw|json]';

function parseArgs(argv) {
  const out = { spinUs: 0, threads: 1, order: 'partition', timeoutS: 600, worker: undefined, valueFormat: 'raw' };
  const names = {
    '--brokers': 'brokers',
    '--input': 'input',
    '--output': 'output',
    '--group': 'group',
    '--spin-us': 'spinUs',
    '--threads': 'threads',
    '--order': 'order',
    '--count': 'count',
    '--timeout-s': 'timeoutS',
    '--worker': 'worker',
    '--value-format': 'valueFormat',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (name === undefined || argv[i + 1] === undefined) throw new Error(`bad argument '${argv[i]}'\n${USAGE}`);
    out[name] = argv[i + 1];
  }
  for (const required of ['brokers', 'input', 'output', 'group', 'count']) {
    if (out[required] === undefined) throw new Error(`missing --${required}\n${USAGE}`);
  }
  for (const numeric of ['spinUs', 'threads', 'count', 'timeoutS']) {
    const n = Number(out[numeric]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${numeric} must be a non-negative integer\n${USAGE}`);
    out[numeric] = n;
  }
  if (out.threads < 1) throw new Error(`--threads must be at least 1\n${USAGE}`);
  if (out.order !== 'partition' && out.order !== 'key') throw new Error(`--order must be partition or key\n${USAGE}`);
  if (out.valueFormat !== 'raw' && out.valueFormat !== 'json')
    throw new Error(`--value-format must be raw or json\n${USAGE}`);
  if (out.worker !== undefined) out.worker = path.resolve(out.worker);
  return out;
}

function lineageHeaders(topic, partition, offset) {
  return {
    'turbine.source.topic': topic,
    'turbine.source.partition': String(partition),
    'turbine.source.offset': String(offset),
  };
}

function createKafka(brokers, clientId) {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) =>
        process.stderr.write(`[kafkajs ${level}] ${log.message}${log.error ? `: ${log.error}` : ''}\n`),
  });
}

/**
 * Consumer settings: Turbine's fetch batching (fetch.wait.max.ms 10, fetch.min.bytes 64 KiB,
 * src/source/source.ts FETCH_SETTINGS); librdkafka's per-partition
 * (1 MiB) and total (50 MiB) fetch limits. Offsets are committed by KafkaJS's auto-commit (every
 * second) of offsets resolved only after the batch's outputs are acknowledged, plus a final commit.
 */
function createConsumer(kafka, group) {
  return kafka.consumer({
    groupId: group,
    maxWaitTimeInMs: 10,
    minBytes: 65536,
    maxBytesPerPartition: 1048576,
    maxBytes: 52428800,
  });
}

/** Idempotent producer with acks=all (KafkaJS has no linger and no built-in lz4). */
function createProducer(kafka) {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    // murmur2, the Java client's (and Turbine's murmur2_random) key → partition mapping.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/**
 * Sends a batch's outputs in order, in sends of at most SEND_CHUNK_BYTES: outputs keep their input's
 * key, so a whole fetched batch (up to 1 MiB) lands in one output partition, and KafkaJS puts one
 * partition's messages of a send into one record batch, which the broker refuses above
 * message.max.bytes (1 MiB by default). Sequential sends keep per-partition order.
 */
const SEND_CHUNK_BYTES = 256 * 1024;

async function sendChunked(producer, topic, messages) {
  let start = 0;
  while (start < messages.length) {
    let end = start;
    let bytes = 0;
    while (end < messages.length && (end === start || bytes + messages[end].value.length <= SEND_CHUNK_BYTES)) {
      bytes += messages[end].value.length + (messages[end].key ? messages[end].key.length : 0);
      end++;
    }
    await producer.send({
      topic,
      acks: -1,
      messages: start === 0 && end === messages.length ? messages : messages.slice(start, end),
    });
    start = end;
  }
}

/**
 * Where the cores went over the timed window, when the repository's benchmark harness is built
 * (dist/benchmarks/harness/cpu-accounting.js reads /proc): this process's main thread, its other
 * threads (the Piscina pool, V8 and libuv helpers), the broker and the machine. Null otherwise;
 * the peer works the same without it.
 */
function cpuProbe() {
  try {
    const root = path.join(__dirname, '..', '..', '..');
    const accounting = require(path.join(root, 'dist', 'benchmarks', 'harness', 'cpu-accounting.js'));
    return { accounting, brokerPid: null, root };
  } catch {
    return null;
  }
}

/**
 * Counts acknowledged outputs and remembers the highest acknowledged offset per partition, so the
 * final commit covers exactly what was produced. Resolves `done` once `count` outputs are acknowledged.
 */
class Tracker {
  constructor(count, probe) {
    this.count = count;
    this.probe = probe;
    this.cpuStart = null;
    this.cpu = null;
    this.acked = 0;
    /** Outputs acknowledged when the count was reached: the ones inside the timed window. */
    this.ackedByDone = 0;
    this.firstConsumedAt = 0;
    this.lastAckedAt = 0;
    // Wall-clock instants of the same events, for the harness's count of the outputs on the topic.
    this.firstConsumedAtMs = 0;
    this.lastAckedAtMs = 0;
    this.committable = new Map();
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  consumed() {
    if (this.firstConsumedAt === 0) {
      this.firstConsumedAt = performance.now();
      this.firstConsumedAtMs = Date.now();
      if (this.probe) this.cpuStart = this.probe.accounting.readCpuSnapshot([process.pid], this.probe.brokerPid);
    }
  }

  acknowledged(partition, lastOffset, n) {
    this.acked += n;
    const next = BigInt(lastOffset) + 1n;
    const previous = this.committable.get(partition);
    if (previous === undefined || next > previous) this.committable.set(partition, next);
    if (this.acked >= this.count && this.lastAckedAt === 0) {
      this.lastAckedAt = performance.now();
      this.lastAckedAtMs = Date.now();
      this.ackedByDone = this.acked;
      if (this.probe && this.cpuStart) {
        const { readCpuSnapshot, cpuBreakdown } = this.probe.accounting;
        const end = readCpuSnapshot([process.pid], this.probe.brokerPid);
        this.cpu = cpuBreakdown(this.cpuStart, end, this.ackedByDone, cpus().length);
      }
      this.finish();
    }
  }

  offsets(topic) {
    return [...this.committable].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() }));
  }
}

/**
 * `records` counts the outputs acknowledged by the end of the timed window, not batches that other
 * partitions finish afterwards (those would raise records/s without lengthening `ms`).
 */
function printResult(peer, order, threads, spinUs, tracker) {
  const ms = tracker.lastAckedAt - tracker.firstConsumedAt;
  const result = {
    peer,
    order,
    threads,
    spinUs,
    records: tracker.ackedByDone,
    ms: Math.round(ms),
    perSec: Math.round((tracker.ackedByDone * 1000) / ms),
    firstConsumedAtMs: tracker.firstConsumedAtMs,
    lastAckedAtMs: tracker.lastAckedAtMs,
    ...(tracker.cpu ? { cpu: tracker.cpu } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * Runs a peer and exits the process. `peer.start(options)` returns `{ transform, concurrency, close }`:
 * transform(batch) returns the batch's outputs (one per input, in order); the shared eachBatch
 * produces them, resolves the batch's offsets once they are acknowledged, and counts them.
 * Connects, subscribes from the beginning, waits for `count` acknowledged outputs (or the timeout),
 * commits the acknowledged offsets and disconnects.
 */
async function runPeer(name, start) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`[${name}] ${err.message}\n`);
    process.exit(2);
  }
  const { transform, concurrency, close = async () => {} } = start(options);
  const kafka = createKafka(options.brokers, `turbine-peer-${name}`);
  const consumer = createConsumer(kafka, options.group);
  const producer = createProducer(kafka);
  const probe = cpuProbe();
  if (probe) {
    const { findBrokerPid, brokerPort } = probe.accounting;
    probe.brokerPid = findBrokerPid(probe.root, brokerPort(options.brokers));
  }
  const tracker = new Tracker(options.count, probe);
  let failed;
  const timer = setTimeout(() => {
    failed = new Error(
      `timed out after ${options.timeoutS} s with ${tracker.acked}/${options.count} outputs acknowledged`,
    );
    tracker.finish();
  }, options.timeoutS * 1000);
  consumer.on(consumer.events.CRASH, (event) => {
    failed = event.payload.error;
    tracker.finish();
  });
  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    const records = batch.messages;
    if (records.length === 0) return;
    tracker.consumed();
    const messages = await transform(batch);
    if (messages.length !== records.length) throw new Error(`${messages.length} outputs for ${records.length} inputs`);
    for (let i = 0; i < records.length; i++) {
      // A real workload's outputs carry the worker's own headers (thumbnail.*) before the lineage.
      messages[i].headers = {
        ...messages[i].headers,
        ...lineageHeaders(batch.topic, batch.partition, records[i].offset),
      };
    }
    if (!isRunning() || isStale()) return;
    await sendChunked(producer, options.output, messages);
    const last = records[records.length - 1].offset;
    resolveOffset(last);
    tracker.acknowledged(batch.partition, last, messages.length);
    await heartbeat();
  };
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: options.input, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch,
    });
    await tracker.done;
    clearTimeout(timer);
    if (failed) throw failed;
    await consumer.commitOffsets(tracker.offsets(options.input));
    // KafkaJS consumes partition by partition: key order follows from partition order.
    printResult(name, 'partition', options.threads, options.spinUs, tracker);
  } catch (err) {
    process.stderr.write(`[${name}] failed: ${err?.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), close()]);
    process.exit(process.exitCode ?? 0);
  }
}

module.exports = { runPeer };
