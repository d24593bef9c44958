/**
 * State queries reach the owner from any instance: two instances of a group announce their
 * advertised URL and partitions on `<group>-instances`; a query for a key the asked instance does
 * not own is redirected (307) to the owner, which answers with the key's current value. When one
 * instance leaves, its tombstone withdraws it and the other answers every key itself.
 */

import { keyPartition } from '../../../src/state/murmur2';
import { randomPort } from '../../helpers/cli';
import { movements, produceMovements, START_LEVEL, STATEFUL_INVENTORY } from '../../helpers/inventory';
import { freshTopics, makeEngine, randomName, waitFor } from '../../helpers/kafka';

jest.setTimeout(180_000);

const PARTITIONS = 4;
const SKUS = 40;

function foldLevels(list: ReturnType<typeof movements>): Map<string, Record<string, number>> {
  const levels = new Map<string, Record<string, number>>();
  for (const m of list) {
    const sku = levels.get(m.key) ?? {};
    sku[m.warehouse] = (sku[m.warehouse] ?? START_LEVEL) + m.delta;
    levels.set(m.key, sku);
  }
  return levels;
}

test('a query to a non-owner is redirected to the owner, which answers with the current value', async () => {
  const { input, output, drop } = await freshTopics('state-redirect', PARTITIONS);
  const group = randomName('g');
  const list = movements(2000, SKUS, 11);
  const expected = foldLevels(list);
  const ports = [randomPort(), randomPort()];
  const engines = ports.map((port) =>
    makeEngine({
      input,
      output,
      group,
      ...STATEFUL_INVENTORY,
      metricsPort: port,
      metricsHost: '127.0.0.1',
      advertisedUrl: `http://127.0.0.1:${port}`,
    }),
  );
  const [a, b] = engines as [(typeof engines)[0], (typeof engines)[0]];
  await a.start();
  await b.start();
  await waitFor(
    'both instances owning partitions',
    () => a.snapshot().assignedPartitions > 0 && b.snapshot().assignedPartitions > 0,
    60_000,
  );
  await produceMovements(input, list);
  const done = () =>
    a.snapshot().consumed + b.snapshot().consumed >= list.length &&
    a.snapshot().inFlightRecords + b.snapshot().inFlightRecords === 0;
  await waitFor('every movement processed', done, 90_000);
  // Both announcements read back by both instances.
  await waitFor(
    'instances known to each other',
    () => a.knownInstances().length === 2 && b.knownInstances().length === 2,
  );

  const ownerPort = (key: string) => {
    const partition = keyPartition(Buffer.from(key), PARTITIONS);
    return a.snapshot().partitions.some((p) => p.partition === partition) ? ports[0] : ports[1];
  };
  let redirects = 0;
  for (const [key, levels] of expected) {
    for (const port of ports) {
      const url = `http://127.0.0.1:${port}/state/levels/${encodeURIComponent(key)}`;
      const manual = await fetch(url, { redirect: 'manual' });
      if (port === ownerPort(key)) {
        expect(manual.status).toBe(200);
        continue;
      }
      expect(manual.status).toBe(307);
      expect(manual.headers.get('location')).toBe(
        `http://127.0.0.1:${ownerPort(key)}/state/levels/${encodeURIComponent(key)}?redirected=1`,
      );
      redirects++;
      const followed = await fetch(url);
      expect(followed.status).toBe(200);
      // The transaction that applied the last movements may still be open: the owner answers from
      // memory, which holds them already.
      expect(((await followed.json()) as { value: unknown }).value).toEqual(levels);
    }
  }
  expect(redirects).toBe(expected.size);

  // The status page lists the store and both instances.
  const status = (await (await fetch(`http://127.0.0.1:${ports[0]}/status.json`)).json()) as {
    keyedState: { store: string; instances: Array<{ url: string }> };
  };
  expect(status.keyedState.store).toBe('levels');
  expect(status.keyedState.instances.map((i) => i.url).sort()).toEqual(
    ports.map((p) => `http://127.0.0.1:${p}`).sort(),
  );

  // B leaves: its tombstone withdraws it, and A answers every key itself once it restored them.
  await b.close();
  await waitFor('a owning every partition', () => a.snapshot().assignedPartitions === PARTITIONS, 60_000);
  await waitFor('b withdrawn', () => a.knownInstances().length === 1, 30_000);
  await waitFor('a restored', () => a.snapshot().restoringPartitions === 0, 60_000);
  for (const [key, levels] of expected) {
    const answer = await fetch(`http://127.0.0.1:${ports[0]}/state/levels/${encodeURIComponent(key)}`, {
      redirect: 'manual',
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { value: unknown }).value).toEqual(levels);
  }
  await a.close();
  await drop();
});
