/**
 * The main thread's keyed state: per owned partition, each key's current value (JSON text) and
 * the input offset that last set it. Held in memory; the changelog topic makes it durable, and
 * a partition's map is rebuilt from there when the partition is assigned (restore.ts).
 */
import type { StateEntries } from '../dispatch/task.js';
import type { ConsumedRecord, PartitionId } from '../types.js';
import { JSON_STATE, type StateCodec } from './state-codec.js';

export interface StoredValue {
  json: string;
  /** Input offset of the record whose batch last set the value. */
  sourceOffset: number;
}

/** A record key as a state key: the key bytes as latin1 (lossless); null keys have no state. */
export function stateKey(key: Buffer | null): string | null {
  return key === null ? null : key.toString('latin1');
}

export class StateStore {
  private readonly partitions = new Map<PartitionId, Map<string, StoredValue>>();

  constructor(
    readonly name: string,
    readonly changelogTopic: string,
    /** How values are written to and read from the changelog (JSON or Avro). */
    readonly codec: StateCodec = JSON_STATE,
  ) {}

  /** Keys held, over every owned partition. */
  get size(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.size;
    return n;
  }

  get(partition: PartitionId, key: string): StoredValue | undefined {
    return this.partitions.get(partition)?.get(key);
  }

  /** The distinct keys of `records` (records without a key have none). */
  keysOf(records: readonly ConsumedRecord[]): Set<string> {
    const keys = new Set<string>();
    for (const r of records) {
      const k = stateKey(r.key);
      if (k !== null) keys.add(k);
    }
    return keys;
  }

  /** The current values of `keys` in `partition`, as they cross to a worker. */
  entries(partition: PartitionId, keys: Iterable<string>): StateEntries {
    const map = this.partitions.get(partition);
    const out: StateEntries = [];
    for (const k of keys) out.push([k, map?.get(k)?.json ?? null]);
    return out;
  }

  /** Applies a batch's changes (null deletes). */
  apply(partition: PartitionId, changes: StateEntries, offsets: ReadonlyMap<string, number>): void {
    let map = this.partitions.get(partition);
    for (const [key, json] of changes) {
      if (json === null) {
        map?.delete(key);
        continue;
      }
      if (!map) {
        map = new Map();
        this.partitions.set(partition, map);
      }
      map.set(key, { json, sourceOffset: offsets.get(key) ?? -1 });
    }
  }

  /** Forgets the state of matching partitions (revoked: the next owner restores it). */
  dropWhere(match: (partition: PartitionId) => boolean): void {
    for (const id of [...this.partitions.keys()]) if (match(id)) this.partitions.delete(id);
  }

  /** Forgets a partition's state (about to be restored again). */
  drop(partition: PartitionId): void {
    this.partitions.delete(partition);
  }

  /** Replaces a partition's state with a restored one. */
  load(partition: PartitionId, values: Map<string, StoredValue>): void {
    this.partitions.set(partition, values);
  }
}
