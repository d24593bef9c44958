/**
 * End-to-end latency from the topics themselves: each output record names its input through
 * Turbine's lineage headers (turbine.source.partition / turbine.source.offset, LINEAGE_HEADERS in
 * src/engine.ts); latency = output timestamp − input timestamp. The output topic is created with
 * message.timestamp.type=LogAppendTime, so its timestamp is the broker's append time.
 */
import Kafka from 'node-rdkafka';
import { LINEAGE_HEADERS } from '../../src/sink/output-messages.js';

export interface ReadOptions {
  brokers: string;
  topic: string;
  timeoutMs: number;
  onMessage(m: Kafka.Message): void;
}

/** Reads every partition of `topic` from offset 0 up to its high watermark at the start. */
export async function readWhole(o: ReadOptions): Promise<void> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': o.brokers,
      'group.id': `bench-reader-${process.pid}-${Date.now()}`,
      'enable.auto.commit': false,
      'fetch.max.bytes': 52_428_800,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  try {
    const metadata = await new Promise<Kafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic: o.topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))),
    );
    const partitions = metadata.topics.find((t) => t.name === o.topic)?.partitions.map((p) => p.id) ?? [];
    const highs = new Map<number, number>();
    for (const p of partitions) {
      const high = await new Promise<number>((resolve, reject) =>
        consumer.queryWatermarkOffsets(o.topic, p, 10_000, (err, w) => (err ? reject(err) : resolve(w.highOffset))),
      );
      highs.set(p, high);
    }
    const remaining = new Set(partitions.filter((p) => (highs.get(p) ?? 0) > 0));
    consumer.assign(partitions.map((p) => ({ topic: o.topic, partition: p, offset: 0 })));
    consumer.setDefaultConsumeTimeout(50);
    const deadline = Date.now() + o.timeoutMs;
    while (remaining.size > 0) {
      if (Date.now() > deadline) throw new Error(`reading ${o.topic} timed out after ${o.timeoutMs} ms`);
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m))),
      );
      for (const m of batch) {
        if (m.offset >= (highs.get(m.partition) ?? 0)) continue;
        o.onMessage(m);
        if (m.offset + 1 >= (highs.get(m.partition) ?? 0)) remaining.delete(m.partition);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** The value of header `name` of `m`, as text; undefined when absent. */
export function header(m: Kafka.Message, name: string): string | undefined {
  for (const h of m.headers ?? []) {
    const v = h[name];
    if (v !== undefined) return String(v);
  }
  return undefined;
}

export interface LatencySamples {
  /** Milliseconds per output record whose input was written at or after `fromMs`. */
  latencies: number[];
  /** Outputs with no matching input (missing lineage headers): should be 0. */
  unmatched: number;
  /** Output timestamps span (first to last), for the delivered rate. */
  firstOutputMs: number;
  lastOutputMs: number;
  outputs: number;
}

/**
 * Reads the input topic (timestamps by partition and offset), then the output topic, and pairs
 * them. Inputs written before `fromMs` (the warm-up) are left out.
 */
export async function measureLatencies(
  brokers: string,
  input: string,
  output: string,
  fromMs: number,
  timeoutMs = 120_000,
): Promise<LatencySamples> {
  const inputTimes = new Map<number, number[]>();
  await readWhole({
    brokers,
    topic: input,
    timeoutMs,
    onMessage(m) {
      let times = inputTimes.get(m.partition);
      if (!times) {
        times = [];
        inputTimes.set(m.partition, times);
      }
      times[m.offset] = m.timestamp ?? 0;
    },
  });
  const latencies: number[] = [];
  let unmatched = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  let outputs = 0;
  await readWhole({
    brokers,
    topic: output,
    timeoutMs,
    onMessage(m) {
      outputs++;
      const ts = m.timestamp ?? 0;
      if (ts < first) first = ts;
      if (ts > last) last = ts;
      const partition = header(m, LINEAGE_HEADERS.partition);
      const offset = header(m, LINEAGE_HEADERS.offset);
      const inputTs =
        partition === undefined || offset === undefined
          ? undefined
          : inputTimes.get(Number(partition))?.[Number(offset)];
      if (inputTs === undefined) {
        unmatched++;
        return;
      }
      if (inputTs >= fromMs) latencies.push(ts - inputTs);
    },
  });
  return { latencies, unmatched, firstOutputMs: first, lastOutputMs: last, outputs };
}
