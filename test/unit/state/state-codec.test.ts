/**
 * State values cross to workers as JSON text; the changelog holds them as JSON or, with a state
 * schema, as Avro binary. A schema whose values JSON cannot carry is a configuration error, and
 * a worker setting a value the schema refuses gets STATE_VALUE_INVALID naming the field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TurbineError } from '../../../src/errors';
import { loadAvroType } from '../../../src/serde/serde';
import { JSON_STATE, stateCodec, stateValueProblems } from '../../../src/state/state-codec';
import { BatchState } from '../../../workers/batch-state';

const ROOT = join(__dirname, '..', '..', '..');
const SKU_LEVELS = join(ROOT, 'workers', 'schemas', 'sku-levels.avsc');

function schemaFile(schema: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'turbine-state-schema-')), 'state.avsc');
  writeFileSync(path, typeof schema === 'string' ? schema : JSON.stringify(schema));
  return path;
}

const RECORD = {
  type: 'record',
  name: 'Level',
  fields: [
    { name: 'level', type: 'int' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};

describe('stateCodec', () => {
  test('JSON by default: the text as UTF-8', () => {
    expect(stateCodec('')).toBe(JSON_STATE);
    expect(JSON_STATE.decode(JSON_STATE.encode('{"a":1}'))).toBe('{"a":1}');
  });

  test('Avro binary with a schema, decoded back to the same JSON', () => {
    const codec = stateCodec(SKU_LEVELS);
    const json = '{"WH-1":87,"WH-2":113}';
    const bytes = codec.encode(json);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(json));
    expect(loadAvroType(SKU_LEVELS).fromBuffer(bytes)).toEqual({ 'WH-1': 87, 'WH-2': 113 });
    expect(codec.decode(bytes)).toBe(json);
    const record = stateCodec(schemaFile(RECORD));
    const value = { level: 3, note: 'low', tags: ['a', 'b'] };
    expect(JSON.parse(record.decode(record.encode(JSON.stringify(value))))).toEqual(value);
  });

  test('refuses bytes and fixed (JSON cannot carry them) and unreadable schemas, naming the option', () => {
    const withBytes = schemaFile({ type: 'record', name: 'B', fields: [{ name: 'raw', type: 'bytes' }] });
    const withFixed = schemaFile({ type: 'map', values: { type: 'fixed', name: 'F', size: 4 } });
    for (const [path, says] of [
      [withBytes, /bytes/],
      [withFixed, /fixed/],
      [schemaFile('{not json'), /not a readable Avro schema/],
      [join(tmpdir(), 'no-such-dir', 'x.avsc'), /not a readable Avro schema/],
    ] as const) {
      let error: unknown;
      try {
        stateCodec(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TurbineError);
      expect((error as TurbineError).code).toBe('CONFIG_INVALID');
      expect((error as TurbineError).message).toMatch(/stateSchema \(--state-schema\)/);
      expect((error as TurbineError).message).toMatch(says);
    }
  });
});

describe('state values checked against the schema in the worker', () => {
  const type = loadAvroType(schemaFile(RECORD));
  const check = (value: unknown) => stateValueProblems(type, value);

  test('names the fields that do not fit', () => {
    expect(check({ level: 1, note: null, tags: [] })).toBeUndefined();
    expect(check({ level: 'high', note: null, tags: [] })).toMatch(/level = "high"/);
    expect(check({ level: 1, note: null, tags: [1] })).toMatch(/tags\.0 = 1/);
  });

  test('set() refuses a value the schema refuses with STATE_VALUE_INVALID, and keeps the old value', () => {
    const state = new BatchState([['k', '{"level":1,"note":null,"tags":[]}']], check);
    expect(() => state.set('k', { level: 2.5, note: null, tags: [] })).toThrow(
      expect.objectContaining({ code: 'STATE_VALUE_INVALID', message: expect.stringMatching(/key "k".*level = 2.5/) }),
    );
    // NaN becomes null on its way through JSON, which the int field refuses.
    expect(() => state.set('k', { level: Number.NaN, note: null, tags: [] })).toThrow(
      expect.objectContaining({ code: 'STATE_VALUE_INVALID' }),
    );
    expect(state.get('k')).toEqual({ level: 1, note: null, tags: [] });
    state.set('k', { level: 2, note: 'ok', tags: ['x'] });
    expect(state.changes()).toEqual([['k', '{"level":2,"note":"ok","tags":["x"]}']]);
  });
});
