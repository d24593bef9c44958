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
  /**
   * Records sent corrupt on purpose must all be dead-lettered, and nothing else: the verifier
   * counts each as an input without output, so lost must equal the corrupt count.
   */
  corruptRate: number;
}

const workersDir = join(__dirname, '..', '..', 'workers');

export function demoWorkload(name: WorkloadName, stateless: boolean): DemoWorkload {
  switch (name) {
    case 'inventory':
      return {
        name,
        records: 'stock movements',
        outputs: 'stock levels',
        defaultCount: 100_000,
        defaultRate: 10_000,
        workerFile: join(workersDir, 'inventory.js'),
        // Stock levels are state: kept per SKU across batches, durable and queryable.
        // --stateless (for comparison only): per-batch totals, at-least-once.
        engine: stateless ? {} : { guarantee: 'exactly-once', stateStore: 'levels' },
        load: { format: 'json', keys: 500, valueSize: 120 },
        corruptRate: 0,
      };
    case 'image':
      return {
        name,
        records: 'images (JPEG and PNG, 20-500 KB)',
        outputs: 'WebP thumbnails',
        defaultCount: 2_000,
        defaultRate: 0,
        workerFile: join(workersDir, 'thumbnail.js'),
        // About 2 s of thumbnails in flight on 2 threads; a corrupt image costs its batch's retries.
        engine: {
          inputFormat: 'raw',
          outputFormat: 'raw',
          maxInFlightBytes: 32 * 1024 * 1024,
          retryMaxAttempts: 2,
          retryInitialMs: 50,
        },
        load: { format: 'image', corruptRate: 0.01, keys: 1000 },
        corruptRate: 0.01,
      };
    case 'text':
      return {
        name,
        records: 'product reviews',
        outputs: 'review analyses (terms and sentiment)',
        defaultCount: 50_000,
        defaultRate: 0,
        workerFile: join(workersDir, 'text.js'),
        engine: { retryMaxAttempts: 2, retryInitialMs: 50 },
        load: { format: 'text', corruptRate: 0.001, keys: 1000 },
        corruptRate: 0.001,
      };
  }
}
