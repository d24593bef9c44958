/**
 * Who owns which input partition, as the instances of a group announce it on the compacted
 * `<group>-instances` topic: one record per instance (key: its id; value: its URL and owned
 * partitions), a tombstone when it stops. A state query for a key this instance does not own is
 * redirected to the owner found here. Pure bookkeeping: instances-topic.ts does the Kafka I/O.
 */

export interface InstanceAnnouncement {
  /** Where the instance's HTTP server answers, e.g. http://10.0.0.7:9464. */
  url: string;
  topic: string;
  store: string;
  partitions: number[];
  /** Epoch ms when the instance published this assignment. */
  at: number;
}

/** The instances topic of a group (one per group, shared by its stores). */
export function instancesTopicOf(group: string): string {
  return `${group}-instances`;
}

/** An announcement read back from the topic, or undefined for a tombstone or a value that is not one. */
export function parseAnnouncement(value: Buffer | null | undefined): InstanceAnnouncement | undefined {
  if (!value || value.length === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  const a = parsed as Partial<InstanceAnnouncement> | null;
  const valid =
    a !== null &&
    typeof a === 'object' &&
    typeof a.url === 'string' &&
    typeof a.topic === 'string' &&
    typeof a.store === 'string' &&
    typeof a.at === 'number' &&
    Array.isArray(a.partitions) &&
    a.partitions.every((p) => Number.isInteger(p));
  return valid ? (a as InstanceAnnouncement) : undefined;
}

export class OwnerDirectory {
  private readonly instances = new Map<string, InstanceAnnouncement>();

  /** Applies one record of the instances topic: an announcement replaces the instance's last, a tombstone removes it. */
  apply(instanceId: string, announcement: InstanceAnnouncement | undefined): void {
    if (announcement) this.instances.set(instanceId, announcement);
    else this.instances.delete(instanceId);
  }

  /**
   * The instance that owns `partition` of `topic` for `store`, leaving out `self`. When several
   * claim it (a crashed owner never withdrew its claim), the newest announcement wins: the group
   * assigned the partition to its new owner after the old one's last announcement.
   */
  ownerOf(topic: string, store: string, partition: number, self: string): InstanceAnnouncement | undefined {
    let owner: InstanceAnnouncement | undefined;
    for (const [id, a] of this.instances) {
      if (id === self || a.topic !== topic || a.store !== store || !a.partitions.includes(partition)) continue;
      if (!owner || a.at > owner.at) owner = a;
    }
    return owner;
  }

  /** Every known instance, for the status page. */
  list(): Array<{ id: string } & InstanceAnnouncement> {
    return [...this.instances].map(([id, a]) => ({ id, ...a })).sort((x, y) => x.id.localeCompare(y.id));
  }
}
