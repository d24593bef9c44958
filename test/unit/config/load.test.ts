import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, loadConfig, unknownEnvOptions } from '../../../src/config/load.js';
import { envName, flagName, OPTIONS } from '../../../src/config/options.js';
import { TurbineError } from '../../../src/errors.js';

const required = { brokers: 'localhost:9092', input: 'in', output: 'out', group: 'g', worker: './w.js' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'turbine-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Runs loadConfig expecting a TurbineError; returns it. */
function configError(sources: Parameters<typeof loadConfig>[0]): TurbineError {
  try {
    loadConfig(sources);
  } catch (error) {
    expect(error).toBeInstanceOf(TurbineError);
    return error as TurbineError;
  }
  throw new Error('loadConfig accepted an invalid configuration');
}

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({ flags: required });
    expect(config).toMatchObject({
      ...required,
      ordering: 'partition',
      keyLanes: 16,
      batchMaxRecords: 500,
      batchMaxBytes: 1024 * 1024,
      batchLingerMs: 5,
      inputFormat: 'json',
      outputFormat: 'json',
      avroWireFormat: 'confluent',
      lineageHeaders: true,
      retryMaxAttempts: 3,
      deadLetterTopic: 'in.dlq',
      kafka: {},
    });
    expect(config.poolSize).toBeGreaterThanOrEqual(1);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka)).toBe(true);
    expect(() => {
      (config as { ordering: string }).ordering = 'key';
    }).toThrow(TypeError);
  });

  it('takes flags over env over file over defaults', () => {
    const file = writeJson('precedence.json', {
      ...required,
      batchMaxRecords: 11,
      batchLingerMs: 12,
      keyLanes: 13,
      kafka: { 'fetch.min.bytes': 'file', 'client.rack': 'file' },
    });
    const env = {
      TURBINE_BATCH_MAX_RECORDS: '21',
      TURBINE_BATCH_LINGER_MS: '22',
      TURBINE_KAFKA_FETCH_MIN_BYTES: 'env',
      TURBINE_KAFKA_SOCKET_TIMEOUT_MS: 'env',
    };
    const flags = { batchMaxRecords: '31', kafka: { 'socket.timeout.ms': 'flag' } };
    const config = loadConfig({ file, env, flags });
    expect(config.batchMaxRecords).toBe(31);
    expect(config.batchLingerMs).toBe(22);
    expect(config.keyLanes).toBe(13);
    expect(config.retryMaxAttempts).toBe(3);
    // kafka maps merge key by key with the same precedence.
    expect(config.kafka).toEqual({ 'fetch.min.bytes': 'env', 'client.rack': 'file', 'socket.timeout.ms': 'flag' });
  });

  it('maps TURBINE_POOL_SIZE and TURBINE_KAFKA_FETCH_MAX_BYTES', () => {
    const env = { TURBINE_POOL_SIZE: '3', TURBINE_KAFKA_FETCH_MAX_BYTES: '1048576', TURBINE_ORDERING: '', OTHER: 'x' };
    expect(configFromEnv(env)).toEqual({ poolSize: '3', kafka: { 'fetch.max.bytes': '1048576' } });
    const config = loadConfig({ flags: required, env });
    expect(config.poolSize).toBe(3);
    expect(config.kafka['fetch.max.bytes']).toBe('1048576');
    expect(config.ordering).toBe('partition');
  });

  it('parses boolean strings from the environment', () => {
    expect(loadConfig({ flags: required, env: { TURBINE_LINEAGE_HEADERS: 'false' } }).lineageHeaders).toBe(false);
    expect(loadConfig({ flags: required, env: { TURBINE_CREATE_TOPICS: 'no' } }).createTopics).toBe(false);
  });

  it('rejects a bad enum naming the option, its flag, its variable and the accepted values', () => {
    const error = configError({ flags: { ...required, ordering: 'random' } });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('ordering');
    expect(error.message).toContain('--ordering');
    expect(error.message).toContain('TURBINE_ORDERING');
    expect(error.message).toContain('partition | key | unordered');
  });

  it('names a missing required option', () => {
    const { worker: _worker, ...withoutWorker } = required;
    const error = configError({ flags: withoutWorker });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/worker \(--worker, TURBINE_WORKER\) is required/);
    expect(error.details.issues).toHaveLength(1);
  });

  it('names an out-of-range batchMaxRecords', () => {
    for (const value of ['0', '1000001', '2.5']) {
      const error = configError({ flags: { ...required, batchMaxRecords: value } });
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('batchMaxRecords (--batch-max-records, TURBINE_BATCH_MAX_RECORDS)');
    }
    expect(configError({ flags: { ...required, batchMaxRecords: '0' } }).message).toMatch(/>=\s?1/);
  });

  it('rejects an unknown key and lists the accepted ones', () => {
    const file = writeJson('unknown.json', { ...required, batchSize: 10 });
    const error = configError({ file });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('batchSize');
    expect(error.message).toContain('batchMaxRecords');
  });

  it('rejects avro without a schema', () => {
    const input = configError({ flags: { ...required, inputFormat: 'avro' } });
    expect(input.code).toBe('CONFIG_INVALID');
    expect(input.message).toContain('inputSchema');
    const output = configError({ flags: { ...required, outputFormat: 'avro' } });
    expect(output.message).toContain('outputSchema');
    const ok = loadConfig({ flags: { ...required, inputFormat: 'avro', inputSchema: 's.avsc' } });
    expect(ok.inputSchema).toBe('s.avsc');
  });

  it('rejects an output topic equal to the input topic', () => {
    const error = configError({ flags: { ...required, output: 'in' } });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/output .*must differ from input/);
  });

  it('defaults to at-least-once and validates guarantee and transactionIntervalMs', () => {
    expect(loadConfig({ flags: required })).toMatchObject({ guarantee: 'at-least-once', transactionIntervalMs: 100 });
    const eos = loadConfig({ flags: { ...required, guarantee: 'exactly-once', transactionIntervalMs: '250' } });
    expect(eos).toMatchObject({ guarantee: 'exactly-once', transactionIntervalMs: 250 });
    const bad = configError({ flags: { ...required, guarantee: 'at-most-once' } });
    expect(bad.message).toContain('--guarantee');
    expect(bad.message).toContain('at-least-once | exactly-once');
    for (const value of ['9', '60001']) {
      const error = configError({ flags: { ...required, guarantee: 'exactly-once', transactionIntervalMs: value } });
      expect(error.message).toContain(
        'transactionIntervalMs (--transaction-interval-ms, TURBINE_TRANSACTION_INTERVAL_MS)',
      );
    }
  });

  it('rejects exactly-once with key or unordered ordering', () => {
    for (const ordering of ['key', 'unordered']) {
      const error = configError({ flags: { ...required, guarantee: 'exactly-once', ordering } });
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(/ordering .*must be partition with guarantee exactly-once/);
    }
  });

  it('reports every bad option at once', () => {
    const error = configError({ flags: { ...required, ordering: 'random', keyLanes: '0' } });
    expect(error.details.issues).toHaveLength(2);
    expect(error.message).toContain('ordering');
    expect(error.message).toContain('keyLanes');
  });

  it('gives CONFIG_FILE_UNREADABLE for a missing file or one that is not a JSON object', () => {
    const missing = configError({ file: join(dir, 'does-not-exist.json') });
    expect(missing.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(missing.message).toContain('does-not-exist.json');
    expect(missing.cause).toBeDefined();
    expect(configError({ file: writeJson('bad.json', '{ not json') }).code).toBe('CONFIG_FILE_UNREADABLE');
    expect(configError({ file: writeJson('array.json', '[1, 2]') }).code).toBe('CONFIG_FILE_UNREADABLE');
  });

  it('keeps an explicit dead-letter topic', () => {
    expect(loadConfig({ flags: { ...required, deadLetterTopic: 'dlq' } }).deadLetterTopic).toBe('dlq');
  });
});

describe('unknownEnvOptions', () => {
  it('flags TURBINE_* variables that name no option, with the closest one', () => {
    const found = unknownEnvOptions({
      TURBINE_POOLSIZE: '4',
      TURBINE_POOL_SIZE: '2',
      TURBINE_KAFKA_FETCH_MAX_BYTES: '1',
      TURBINE_TEST_BROKERS: 'x',
      TURBINE_BENCH_BROKERS: 'x',
      TURBINE_WHATEVER_ELSE_ENTIRELY: '1',
      PATH: '/bin',
    });
    expect(found).toEqual([
      { name: 'TURBINE_POOLSIZE', suggestion: 'TURBINE_POOL_SIZE' },
      { name: 'TURBINE_WHATEVER_ELSE_ENTIRELY' },
    ]);
  });
});

describe('option names', () => {
  it('derive flags and environment variables from camelCase names', () => {
    expect(flagName('batchMaxRecords')).toBe('--batch-max-records');
    expect(envName('batchMaxRecords')).toBe('TURBINE_BATCH_MAX_RECORDS');
    expect(envName('poolSize')).toBe('TURBINE_POOL_SIZE');
  });

  it('document every option', () => {
    for (const [name, spec] of Object.entries(OPTIONS)) {
      expect(`${name}: ${spec.doc.trim().length > 0}`).toBe(`${name}: true`);
    }
  });
});
