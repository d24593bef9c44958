/**
 * The one drain routine, used by revoke and shutdown alike: finish or give up on the in-flight
 * work of some partitions by a deadline. Open batches are dispatched at once; then it waits
 * until every partition settled (all consumed offsets complete, or halted by onFailure fail)
 * or the time is up. What did not finish is read again by the next owner (at-least-once).
 */
import type { PartitionRegistry } from '../ownership/partition-registry.js';
import type { PartitionId } from '../types.js';

export interface DrainStages {
  registry: PartitionRegistry;
  /** Dispatches the open batches of matching partitions now. */
  flush: (match: (id: PartitionId) => boolean) => void;
}

/** Resolves true when the partitions `ids()` names settled within `timeoutMs`. */
export function drain(stages: DrainStages, ids: () => readonly PartitionId[], timeoutMs: number): Promise<boolean> {
  const now = new Set(ids());
  stages.flush((id) => now.has(id));
  return stages.registry.whenSettled(ids, Math.max(0, timeoutMs));
}
