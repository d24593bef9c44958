/**
 * The stateful scenario runs once, exactly-once in partition order, whatever orderings are
 * asked for; the other scenarios run in every ordering asked for. Its feed's movements are the
 * same in every run.
 */
import { movementRecord } from '../../../chaos/feed';
import { orderingsOf, SCENARIOS, scenario } from '../../../chaos/scenarios';

test('stateful runs in partition order only; the others in each ordering asked for', () => {
  expect(orderingsOf('stateful', ['partition', 'key'])).toEqual(['partition']);
  expect(orderingsOf('stateful', ['key'])).toEqual([]);
  for (const name of SCENARIOS.filter((n) => n !== 'stateful'))
    expect(orderingsOf(name, ['partition', 'key'])).toEqual(['partition', 'key']);
});

test('stateful runs the inventory worker with a state store, exactly-once, at both sizes', () => {
  for (const short of [true, false]) {
    const s = scenario('stateful', short);
    expect(s).toMatchObject({ worker: 'inventory', stateStore: 'levels' });
    expect(s.fixed).toEqual({ guarantee: 'exactly-once', ordering: 'partition' });
    expect(s.flags).toEqual(['--state-store', 'levels']);
  }
});

test('movement records: keyed by SKU round-robin, two warehouses, deltas -5..5, the same every run', () => {
  const seen = { warehouses: new Set<string>(), deltas: new Set<number>() };
  for (let index = 0; index < 2_000; index++) {
    const { key, value } = movementRecord(index, 100);
    const m = JSON.parse(value.toString()) as { sku: string; warehouse: string; delta: number };
    expect(key.toString()).toBe(`SKU-${index % 100}`);
    expect(m.sku).toBe(key.toString());
    seen.warehouses.add(m.warehouse);
    seen.deltas.add(m.delta);
  }
  expect([...seen.warehouses].sort()).toEqual(['WH-1', 'WH-2']);
  expect([...seen.deltas].sort((a, b) => a - b)).toEqual([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]);
  expect(movementRecord(12_345, 1_000)).toEqual(movementRecord(12_345, 1_000));
});
