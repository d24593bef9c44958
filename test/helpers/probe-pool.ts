/**
 * The worker pool without a broker: real Piscina threads running dist/workers/runtime.js with
 * the test/fixtures/pack-probe.js worker, fed batches of JSON records built here.
 */
import { join } from 'node:path';
import type { Batch } from '../../src/batching/batcher.js';
import { WorkerPool } from '../../src/dispatch/worker-pool.js';
import type { ConsumedRecord } from '../../src/types.js';

const PROBE_WORKER = join(__dirname, '..', 'fixtures', 'pack-probe.js');

/** A pool running pack-probe.js: { slowMs } burns CPU, { throw: true } throws, { hang: true } loops. */
export function probePool(options: { threads?: number; taskTimeoutMs?: number; packLimit?: number } = {}): WorkerPool {
  const { packLimit } = options;
  return new WorkerPool({
    threads: options.threads ?? 1,
    taskTimeoutMs: options.taskTimeoutMs ?? 0,
    ...(packLimit === undefined ? {} : { packLimit: () => packLimit }),
    setup: {
      workerPath: PROBE_WORKER,
      inputFormat: 'json',
      outputFormat: 'json',
      avroWireFormat: 'confluent',
      outputSchemaId: 0,
    },
  });
}

let nextOffset = 0;

/** A batch of topic `in`, one record per value (serialised as JSON), at fresh offsets. */
export function jsonBatch(partition: number, values: Array<Record<string, unknown>>): Batch {
  const records: ConsumedRecord[] = values.map((v) => {
    const value = Buffer.from(JSON.stringify(v));
    return {
      topic: 'in',
      partition,
      offset: nextOffset++,
      timestamp: 0,
      key: null,
      value,
      headers: undefined,
      size: value.length,
    };
  });
  return { id: nextOffset, topic: 'in', partition, lane: `in:${partition}`, epoch: 1, records, bytes: 0, openedAt: 0 };
}
