/**
 * A Turbine worker module run inline, on the calling thread: what the bare node-rdkafka loop does
 * with a real workload. Values are decoded and encoded with the engine's own serde, the module is
 * loaded with the engine's own loader, and each call gets one partition's records in offset
 * order, as the worker contract says, so the function does exactly the work it does in Turbine.
 */
import type Kafka from 'node-rdkafka';
import { createSerde } from '../../src/serde/serde.js';
import type { InputRecord, OutputRecord, WorkerOutput } from '../../src/types.js';
import { loadWorkerFunction } from '../../workers/load-worker.js';

/** One output, ready for producer.produce: its value, key and headers (the worker's). */
export interface InlineOutput {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<Record<string, string | Buffer>>;
}

export type InlineWork = (messages: readonly Kafka.Message[]) => Promise<InlineOutput[]>;

function keyBytes(key: OutputRecord['key']): Buffer | null {
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

function one(entry: WorkerOutput, index: number): OutputRecord {
  if (entry === null || entry === undefined || Array.isArray(entry))
    throw new Error(`the inline loop expects one output per input; entry ${index} is ${JSON.stringify(entry)}`);
  return entry;
}

/** The worker at `workerPath` as a function of a consume() call's messages, outputs in the same order. */
export function inlineWorker(workerPath: string, format: 'raw' | 'json'): InlineWork {
  const fn = loadWorkerFunction(workerPath);
  const serde = createSerde({ format, wireFormat: 'confluent', schemaId: 0 });
  return async (messages) => {
    // consume() interleaves partitions: one call per partition, records in offset order.
    const byPartition = new Map<number, number[]>();
    for (let i = 0; i < messages.length; i++) {
      const p = messages[i]!.partition;
      const list = byPartition.get(p);
      if (list) list.push(i);
      else byPartition.set(p, [i]);
    }
    const out: InlineOutput[] = new Array(messages.length);
    for (const indexes of byPartition.values()) {
      const batch: InputRecord[] = indexes.map((i) => {
        const m = messages[i]!;
        return {
          key: m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key),
          value: serde.decode(m.value ?? null),
          headers: {},
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          timestamp: m.timestamp ?? 0,
        };
      });
      const results = await fn(batch, {});
      if (!Array.isArray(results) || results.length !== batch.length)
        throw new Error(
          `worker returned ${Array.isArray(results) ? results.length : typeof results} for ${batch.length}`,
        );
      for (let j = 0; j < indexes.length; j++) {
        const r = one(results[j], j);
        const headers: InlineOutput['headers'] = [];
        for (const name in r.headers ?? {}) headers.push({ [name]: r.headers![name]! });
        out[indexes[j]!] = { key: keyBytes(r.key), value: serde.encode(r.value), headers };
      }
    }
    return out;
  };
}
