/**
 * The demo's workloads: what each one generates, which sample worker runs it with which
 * settings, and what its summary says about the outputs. `inventory` (the default) keeps stock
 * levels in keyed state; `image` makes WebP thumbnails of generated JPEGs and PNGs (raw bytes, a
 * few corrupt on purpose); `text` scores generated product reviews (a few undecodable).
 */
import { join } from 'node:path';
import type { RawConfig } from '../config/load.js';
import type { LoadgenInput } from './loadgen-options.js';

export const WORKLOADS = ['inventory', 'image', 'text'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export interface DemoWorkload {
  name: WorkloadName;
  /** What the records are, for the first line ("stock movements"). */
  records: string;
  /** What the outputs are, for the summary ("stock levels"). */
  outputs: string;
  defaultCount: number;
  /** Records per second offered by default; 0 = as fast as the producer goes. */
  defaultRate: number;
  workerFile: string;
  /** Engine settings beyond topics, group and worker. */
  engine: RawConfig;
  /** The load generator's settings beyond brokers, topic, count, rate and partitions. */
  load: Omit<LoadgenInput, 'brokers' | 'topic' | 'count' | 'rate' | 'partitions'>;
}

const workersDir = join(__dirname, '..', '..', 'workers');
/** Image and text loads send a few corrupt records on purpose: two quick attempts, then the dead-letter topic. */
const QUICK_RETRIES = { retryMaxAttempts: 2, retryInitialMs: 50 } as const;

interface WorkloadSpec {
  /** Records and outputs, as the first line and the summary name them. */
  says: Pick<DemoWorkload, 'records' | 'outputs'>;
  defaults: { count: number; rate: number };
  /** The sample worker under workers/. */
  worker: string;
  engine: RawConfig;
  load: DemoWorkload['load'];
}

const SPECS: Record<WorkloadName, WorkloadSpec> = {
  inventory: {
    says: { records: 'stock movements', outputs: 'stock levels' },
    worker: 'inventory',
    defaults: { count: 100_000, rate: 10_000 },
    // Stock levels are state: kept per SKU across batches, durable and queryable.
    engine: { guarantee: 'exactly-once', stateStore: 'levels' },
    load: { format: 'json', keys: 500, valueSize: 120 },
  },
  image: {
    says: { records: 'images (JPEG and PNG, 20-500 KB)', outputs: 'WebP thumbnails' },
    worker: 'thumbnail',
    defaults: { count: 2_000, rate: 0 },
    // About 2 s of thumbnails in flight on 2 threads; a corrupt image costs its batch's retries.
    engine: { inputFormat: 'raw', outputFormat: 'raw', maxInFlightBytes: 32 * 1024 * 1024, ...QUICK_RETRIES },
    load: { format: 'image', corruptRate: 0.01, keys: 1000 },
  },
  text: {
    says: { records: 'product reviews', outputs: 'review analyses (terms and sentiment)' },
    worker: 'text',
    defaults: { count: 50_000, rate: 0 },
    engine: { ...QUICK_RETRIES },
    load: { format: 'text', corruptRate: 0.001, keys: 1000 },
  },
};

/** `stateless` (inventory only, for comparison): per-batch totals, at-least-once. */
export function demoWorkload(name: WorkloadName, stateless: boolean): DemoWorkload {
  const spec = SPECS[name];
  return {
    name,
    ...spec.says,
    defaultCount: spec.defaults.count,
    defaultRate: spec.defaults.rate,
    workerFile: join(workersDir, `${spec.worker}.js`),
    engine: name === 'inventory' && stateless ? {} : spec.engine,
    load: spec.load,
  };
}
