import { RegistryHttpError } from '../../../src/registry/registry-client.js';
import { WriterSchemaCache } from '../../../src/registry/writer-schemas.js';

const framed = (id: number) => {
  const b = Buffer.alloc(6);
  b.writeUInt32BE(id, 1);
  return { value: b };
};

function logger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', fields, msg }),
    info: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'info', fields, msg }),
  };
}

const schema = (id: number) => `{"type":"record","name":"R${id}","fields":[]}`;

describe('WriterSchemaCache', () => {
  it('fetches each id once, then answers synchronously', async () => {
    const fetched: number[] = [];
    const cache = new WriterSchemaCache({
      fetch: async (id) => {
        fetched.push(id);
        return { schema: schema(id), schemaType: 'AVRO' };
      },
      logger: logger() as never,
      retryInitialMs: 1,
      retryMaxMs: 1,
    });
    const first = cache.schemasFor([framed(1), framed(2), framed(1)]);
    const second = cache.schemasFor([framed(2)]);
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toEqual([
      [1, schema(1)],
      [2, schema(2)],
    ]);
    await second;
    expect(fetched).toEqual([1, 2]);
    // Cached now: no promise, and unframed values need nothing.
    expect(cache.schemasFor([framed(2), { value: null }])).toEqual([[2, schema(2)]]);
    expect(cache.schemasFor([{ value: Buffer.from('x') }])).toEqual([]);
  });

  it('retries registry errors with backoff and a log line, never answering a wrong schema', async () => {
    const log = logger();
    const outcomes: string[] = [];
    const pending: number[] = [];
    let calls = 0;
    const cache = new WriterSchemaCache({
      fetch: async (id) => {
        calls++;
        if (calls === 1) throw new Error('connect ECONNREFUSED');
        if (calls === 2) throw new RegistryHttpError(503, 503, 'HTTP 503');
        return { schema: schema(id), schemaType: 'AVRO' };
      },
      logger: log as never,
      retryInitialMs: 1,
      retryMaxMs: 4,
      observe: { request: (outcome) => outcomes.push(outcome), pending: (ids) => pending.push(ids) },
    });
    await expect(cache.schemasFor([framed(5)])).resolves.toEqual([[5, schema(5)]]);
    expect(calls).toBe(3);
    // The metrics see each try, and one id pending from the first try to the answer.
    expect(outcomes).toEqual(['failed', 'failed', 'ok']);
    expect(pending).toEqual([1, 0]);
    const warnings = log.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.fields).toMatchObject({ schemaId: 5, attempt: 1, retryInMs: 1 });
    expect(warnings[1]!.fields).toMatchObject({ schemaId: 5, attempt: 2, retryInMs: 2 });
    expect(warnings[0]!.msg).toContain('retried');
  });

  it('answers ids the registry does not know (40403) as null, and asks again after the TTL', async () => {
    let now = 1_000;
    let calls = 0;
    const outcomes: string[] = [];
    const cache = new WriterSchemaCache({
      fetch: async () => {
        calls++;
        throw new RegistryHttpError(404, 40403, 'HTTP 404: No content with ID');
      },
      logger: logger() as never,
      retryInitialMs: 1,
      retryMaxMs: 1,
      unknownTtlMs: 100,
      now: () => now,
      observe: { request: (outcome) => outcomes.push(outcome), pending: () => undefined },
    });
    await expect(cache.schemasFor([framed(9)])).resolves.toEqual([[9, null]]);
    expect(outcomes).toEqual(['unknown_id']);
    expect(cache.schemasFor([framed(9)])).toEqual([[9, null]]);
    expect(calls).toBe(1);
    now += 101;
    await cache.schemasFor([framed(9)]);
    expect(calls).toBe(2);
  });

  it('treats a 404 without error code 40403 (a wrong base URL) as an error to retry', async () => {
    let calls = 0;
    const cache = new WriterSchemaCache({
      fetch: async (id) => {
        calls++;
        if (calls === 1) throw new RegistryHttpError(404, 404, 'HTTP 404: Not Found');
        return { schema: schema(id), schemaType: 'AVRO' };
      },
      logger: logger() as never,
      retryInitialMs: 1,
      retryMaxMs: 1,
    });
    await expect(cache.schemasFor([framed(4)])).resolves.toEqual([[4, schema(4)]]);
    expect(calls).toBe(2);
  });

  it('stops retrying once closed, and calls onClose once', async () => {
    let closed = 0;
    let calls = 0;
    const cache = new WriterSchemaCache({
      fetch: async () => {
        calls++;
        throw new Error('down');
      },
      logger: logger() as never,
      retryInitialMs: 5,
      retryMaxMs: 5,
      onClose: () => closed++,
    });
    void cache.schemasFor([framed(1)]);
    await new Promise((r) => setTimeout(r, 20));
    cache.close();
    cache.close();
    const after = calls;
    await new Promise((r) => setTimeout(r, 30));
    expect(calls).toBeLessThanOrEqual(after + 1);
    expect(closed).toBe(1);
  });
});
