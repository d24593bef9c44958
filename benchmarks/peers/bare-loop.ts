/**
 * Peer: a bare node-rdkafka consume → work → produce loop in one thread, with Turbine's client
 * settings (cooperative-sticky, idempotent lz4 producer, delivery reports, lineage headers) and
 * commits of acknowledged offsets. The work is the spin worker's: W µs of CPU per record, in the
 * main thread. At W = 0 it is the client ceiling Turbine is compared against. With `work` (a real
 * workload's worker function, benchmarks/harness/inline-worker.ts), each consume() call's records
 * go through it on this thread instead, and its outputs are produced with their own headers.
 */
import { performance } from 'node:perf_hooks';
import Kafka from 'node-rdkafka';
import { producerConfig } from '../../src/sink/producer-config.js';
import { FETCH_SETTINGS } from '../../src/source/source.js';
import type { InlineWork } from '../harness/inline-worker.js';

export interface BareLoopOptions {
  brokers: string;
  input: string;
  output: string;
  group: string;
  records: number;
  spinUs: number;
  /** Replaces the spin: the outputs of each consume() call's records, one per record, in order. */
  work?: InlineWork;
  /** Called when the first records arrive (the measured window starts there). */
  onFirstRecord?: () => void;
  /** Called when the last output is acknowledged (the measured window ends there). */
  onLastAck?: () => void;
}

function burn(microseconds: number): void {
  if (microseconds <= 0) return;
  const end = performance.now() + microseconds / 1000;
  while (performance.now() < end) {
    // busy
  }
}

/** Returns milliseconds from the first consumed record to the last output acknowledged. */
export async function runBareLoop(o: BareLoopOptions): Promise<number> {
  const producer = new Kafka.Producer(producerConfig({ brokers: o.brokers, clientId: 'bare', kafka: {} }));
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': o.brokers,
      'group.id': o.group,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'partition.assignment.strategy': 'cooperative-sticky',
      ...FETCH_SETTINGS,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(5);
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  consumer.setDefaultConsumeTimeout(20);
  let acked = 0;
  const ackedOffsets = new Map<number, number>();
  producer.on('delivery-report', (err, report) => {
    if (err) return;
    acked++;
    const source = report.opaque as { partition: number; offset: number };
    const prev = ackedOffsets.get(source.partition) ?? -1;
    if (source.offset > prev) ackedOffsets.set(source.partition, source.offset);
  });
  consumer.subscribe([o.input]);
  let consumed = 0;
  let started = 0;
  const commit = setInterval(() => {
    const offsets = [...ackedOffsets].map(([partition, offset]) => ({ topic: o.input, partition, offset: offset + 1 }));
    if (offsets.length > 0) consumer.commit(offsets);
  }, 1000);
  while (consumed < o.records) {
    const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
      consumer.consume(500, (err, m) => (err ? reject(err) : resolve(m))),
    );
    if (messages.length > 0 && started === 0) {
      started = performance.now();
      o.onFirstRecord?.();
    }
    const outputs = o.work ? await o.work(messages) : null;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (!outputs) burn(o.spinUs);
      const out = outputs?.[i];
      const headers: Kafka.MessageHeader[] = [
        ...(out?.headers ?? []),
        { 'turbine.source.topic': m.topic },
        { 'turbine.source.partition': String(m.partition) },
        { 'turbine.source.offset': String(m.offset) },
      ];
      const value = out ? out.value : m.value;
      const key = out ? out.key : m.key;
      for (;;) {
        try {
          producer.produce(o.output, -1, value, key, null, { partition: m.partition, offset: m.offset }, headers);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    }
    consumed += messages.length;
  }
  while (acked < o.records) await new Promise((r) => setTimeout(r, 1));
  const ms = performance.now() - started;
  o.onLastAck?.();
  clearInterval(commit);
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  return ms;
}
