/**
 * The owner directory turns the instances topic's announcements into "who owns this partition",
 * and a state query for a key this instance does not own into a redirect to that owner (once).
 */
import type { PartitionRegistry } from '../../../src/ownership/partition-registry';
import type { InstancesTopic } from '../../../src/state/instances-topic';
import { answerStateQuery, type KeyedState } from '../../../src/state/keyed-state';
import { keyPartition } from '../../../src/state/murmur2';
import { type InstanceAnnouncement, OwnerDirectory, parseAnnouncement } from '../../../src/state/owner-directory';
import type { Restorer } from '../../../src/state/restorer';
import { StateStore } from '../../../src/state/state-store';

const announcement = (url: string, partitions: number[], at: number): InstanceAnnouncement => ({
  url,
  topic: 'in',
  store: 'levels',
  partitions,
  at,
});

describe('parseAnnouncement', () => {
  test('reads an announcement and refuses tombstones and malformed values', () => {
    const a = announcement('http://a:9464', [0, 1], 5);
    expect(parseAnnouncement(Buffer.from(JSON.stringify(a)))).toEqual(a);
    expect(parseAnnouncement(null)).toBeUndefined();
    expect(parseAnnouncement(Buffer.alloc(0))).toBeUndefined();
    expect(parseAnnouncement(Buffer.from('{not json'))).toBeUndefined();
    expect(parseAnnouncement(Buffer.from(JSON.stringify({ ...a, partitions: ['0'] })))).toBeUndefined();
    expect(parseAnnouncement(Buffer.from(JSON.stringify({ ...a, url: 7 })))).toBeUndefined();
  });
});

describe('OwnerDirectory', () => {
  test('the newest claim of a partition wins, self is left out, tombstones withdraw', () => {
    const d = new OwnerDirectory();
    d.apply('crashed', announcement('http://old:1', [0, 1, 2], 100));
    d.apply('new', announcement('http://new:1', [1], 200));
    d.apply('self', announcement('http://self:1', [2], 300));
    expect(d.ownerOf('in', 'levels', 1, 'self')?.url).toBe('http://new:1');
    expect(d.ownerOf('in', 'levels', 0, 'self')?.url).toBe('http://old:1');
    // Self is never its own redirect target; the older claim remains.
    expect(d.ownerOf('in', 'levels', 2, 'self')?.url).toBe('http://old:1');
    expect(d.ownerOf('other-topic', 'levels', 1, 'self')).toBeUndefined();
    expect(d.ownerOf('in', 'other-store', 1, 'self')).toBeUndefined();
    d.apply('new', undefined);
    expect(d.ownerOf('in', 'levels', 1, 'self')?.url).toBe('http://old:1');
    // A later announcement replaces the instance's earlier one.
    d.apply('crashed', announcement('http://old:1', [], 400));
    expect(d.ownerOf('in', 'levels', 1, 'self')).toBeUndefined();
    expect(d.list().map((i) => i.id)).toEqual(['crashed', 'self']);
  });
});

describe('answerStateQuery', () => {
  const partitions = 4;
  const key = 'SKU-1';
  const partition = keyPartition(Buffer.from(key), partitions);
  const input = { topic: 'in', partitions };
  const notOwned = { get: () => undefined } as unknown as PartitionRegistry;
  const owned = { get: () => ({}) } as unknown as PartitionRegistry;

  function keyed(withDirectory: boolean): KeyedState {
    const store = new StateStore('levels', 'g-levels-changelog');
    const restorer = { isRestoring: () => false } as unknown as Restorer;
    if (!withDirectory) return { store, restorer };
    const directory = new OwnerDirectory();
    directory.apply('other', announcement('http://10.0.0.9:9464', [partition], 1));
    return { store, restorer, instances: { directory, instanceId: 'me' } as unknown as InstancesTopic };
  }

  test('a non-owner redirects to the announced owner, once', () => {
    const answer = answerStateQuery(keyed(true), notOwned, input, { store: 'levels', key, redirected: false });
    expect(answer.status).toBe(307);
    expect(answer.location).toBe('http://10.0.0.9:9464/state/levels/SKU-1?redirected=1');
    const again = answerStateQuery(keyed(true), notOwned, input, { store: 'levels', key, redirected: true });
    expect(again.status).toBe(421);
    expect(again.location).toBeUndefined();
  });

  test('without announcements a non-owner answers 421 with the partition; the owner answers 404 for an absent key', () => {
    const answer = answerStateQuery(keyed(false), notOwned, input, { store: 'levels', key, redirected: false });
    expect(answer).toMatchObject({ status: 421, body: { partition } });
    expect(answerStateQuery(keyed(false), owned, input, { store: 'levels', key, redirected: false }).status).toBe(404);
    expect(answerStateQuery(keyed(false), owned, input, { store: 'nope', key, redirected: false }).status).toBe(404);
  });
});
