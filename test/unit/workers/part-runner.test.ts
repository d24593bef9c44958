import { packInput, unpackOutput } from '../../../src/dispatch/codec.js';
import type { TaskPart } from '../../../src/dispatch/task.js';
import { createSerde } from '../../../src/serde/serde.js';
import type { InputRecord, WorkerFunction } from '../../../src/types.js';
import { createPartRunner } from '../../../workers/part-runner.js';

const json = createSerde({ format: 'json', wireFormat: 'plain', schemaId: 1 });

function part(values: Array<string | null>): TaskPart {
  const records = values.map((v, i) => ({
    offset: 100 + i,
    timestamp: 1_700_000_000_000 + i,
    key: Buffer.from(`k${i}`),
    value: v === null ? null : Buffer.from(v),
    headers: [{ h: `v${i}` }],
  }));
  return { buffer: packInput(records), topic: 'in', partition: 3 };
}

const runner = (userFunction: WorkerFunction | undefined, loadError?: string) =>
  createPartRunner({ inputSerde: json, outputSerde: json, userFunction, loadError });

describe('part runner (the worker side of one batch)', () => {
  it('gives the user function decoded records with their source fields, and packs its outputs per input', async () => {
    let seen: InputRecord[] = [];
    const run = runner((batch) => {
      seen = batch;
      return batch.map((r) => [
        { key: r.key, value: { doubled: (r.value as { n: number }).n * 2 }, headers: { from: 'test' } },
        { key: null, value: null, topic: 'other' },
      ]);
    });
    const result = await run(part(['{"n":1}', '{"n":2}']));
    expect(result.ok).toBe(true);
    expect(result.recordFailures).toEqual([]);
    expect(
      seen.map((r) => [
        r.topic,
        r.partition,
        r.offset,
        r.timestamp,
        r.key?.toString(),
        r.value,
        r.headers.h?.toString(),
      ]),
    ).toEqual([
      ['in', 3, 100, 1_700_000_000_000, 'k0', { n: 1 }, 'v0'],
      ['in', 3, 101, 1_700_000_000_001, 'k1', { n: 2 }, 'v1'],
    ]);
    const outputs = unpackOutput(result.buffer!);
    expect(outputs).toHaveLength(2);
    expect(outputs[1]![0]!.value!.toString()).toBe('{"doubled":4}');
    expect(outputs[1]![0]!.headers.map(([n, v]) => [n, v.toString()])).toEqual([['from', 'test']]);
    expect(outputs[1]![1]).toEqual({ topic: 'other', key: null, value: null, headers: [] });
  });

  it('fails an undecodable record alone (DECODE_ERROR) and runs the rest', async () => {
    let count = 0;
    const run = runner((batch) => {
      count = batch.length;
      return batch.map((r) => ({ key: r.key, value: r.value }));
    });
    const result = await run(part(['{"n":1}', '{not json', '{"n":3}']));
    expect(count).toBe(2);
    expect(result.ok).toBe(true);
    expect(result.recordFailures.map((f) => [f.code, f.recordIndex])).toEqual([['DECODE_ERROR', 1]]);
    const outputs = unpackOutput(result.buffer!);
    expect(outputs.map((o) => o.length)).toEqual([1, 0, 1]);
  });

  it('turns a throw into WORKER_FAILED, a wrong result length into WORKER_RESULT_INVALID, a load failure into WORKER_MODULE_INVALID', async () => {
    const thrown = await runner(() => {
      throw new Error('boom');
    })(part(['1']));
    expect(thrown).toMatchObject({ ok: false, failure: { code: 'WORKER_FAILED', message: 'boom' } });
    const short = await runner(() => [])(part(['1', '2']));
    expect(short).toMatchObject({ ok: false, failure: { code: 'WORKER_RESULT_INVALID' } });
    expect(short.failure!.message).toContain('one entry per input record (2), got an array of 0');
    const missing = await runner(undefined, 'no such module')(part(['1']));
    expect(missing).toMatchObject({ ok: false, failure: { code: 'WORKER_MODULE_INVALID', message: 'no such module' } });
  });

  it('fails a record whose output cannot be encoded (ENCODE_ERROR) and keeps the others', async () => {
    const run = runner((batch) =>
      batch.map((r) => ({ key: r.key, value: r.offset === 101 ? { big: BigInt(1) } : r.value })),
    );
    const result = await run(part(['1', '2', '3']));
    expect(result.recordFailures.map((f) => [f.code, f.recordIndex])).toEqual([['ENCODE_ERROR', 1]]);
    expect(unpackOutput(result.buffer!).map((o) => o.length)).toEqual([1, 0, 1]);
  });
});
