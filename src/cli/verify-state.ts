/**
 * `turbine verify --state-store NAME`: the inventory check (inventory-check.ts) with the state side
 * read from the store's changelog topic instead of asked of a running engine, so it can run after
 * a crash. The changelog is read as a restore reads it (state/restore.ts: read_committed, to its
 * end, the last record per key wins, a tombstone deletes), which is the state the next owner of
 * each partition would start from.
 */
import { readChangelog } from '../state/restore.js';
import { stateCodec } from '../state/state-codec.js';
import type { StoredValue } from '../state/state-store.js';
import { checkInventory } from './inventory-check.js';
import { type InventoryCheck, storedLevelsLookup } from './inventory-fold.js';
import type { VerifyStateOptions } from './verify-options.js';

export interface VerifyStateReport extends InventoryCheck {
  store: string;
  changelog: string;
  /** Keys the changelog holds a value for (after tombstones). */
  changelogKeys: number;
}

export interface VerifyStateSource {
  brokers: string;
  kafka: Readonly<Record<string, string>>;
  input: string;
  output: string;
  /** The changelog topic and its partitions (all of them are read). */
  changelog: string;
  changelogPartitions: readonly number[];
}

/** The changelog is read within this long. */
const CHANGELOG_READ_TIMEOUT_MS = 120_000;
const CLIENT_ID = 'turbine-verify';

export async function verifyState(s: VerifyStateSource, o: VerifyStateOptions): Promise<VerifyStateReport> {
  const { decode } = stateCodec(o.stateSchema);
  const restored = await readChangelog(
    { brokers: s.brokers, clientId: CLIENT_ID, kafka: s.kafka, changelogTopic: s.changelog, decode },
    s.changelogPartitions,
    Date.now() + CHANGELOG_READ_TIMEOUT_MS,
  );
  // Keys as the store holds them (record key bytes as latin1), over all partitions.
  const stored = new Map<string, StoredValue>();
  for (const values of restored.values.values()) for (const [key, value] of values) stored.set(key, value);
  const check = await checkInventory(
    { brokers: s.brokers, kafka: s.kafka, clientId: CLIENT_ID, input: s.input, output: s.output },
    o.startValue,
    storedLevelsLookup(stored),
  );
  return { store: o.store, changelog: s.changelog, changelogKeys: stored.size, ...check };
}
