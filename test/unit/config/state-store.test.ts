/**
 * stateStore is validated at the edge: a valid name with exactly-once is accepted; without
 * exactly-once, or with a name Kafka topic names cannot carry, the error names the option.
 */
import { loadConfig } from '../../../src/config/load.js';
import { TurbineError } from '../../../src/errors.js';

const required = { brokers: 'localhost:9092', input: 'in', output: 'out', group: 'g', worker: './w.js' };

function error(flags: Record<string, string>): TurbineError {
  try {
    loadConfig({ flags: { ...required, ...flags } });
  } catch (e) {
    expect(e).toBeInstanceOf(TurbineError);
    return e as TurbineError;
  }
  throw new Error('accepted');
}

describe('stateStore', () => {
  it('defaults to stateless and takes a name with exactly-once', () => {
    expect(loadConfig({ flags: required }).stateStore).toBe('');
    expect(loadConfig({ flags: { ...required, stateStore: 'levels', guarantee: 'exactly-once' } }).stateStore).toBe(
      'levels',
    );
  });

  it('needs exactly-once, and says so naming the option', () => {
    const e = error({ stateStore: 'levels' });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(/stateStore/);
    expect(e.message).toMatch(/exactly-once/);
  });

  it('refuses names a topic name cannot carry', () => {
    const e = error({ stateStore: 'my store!', guarantee: 'exactly-once' });
    expect(e.message).toMatch(/stateStore/);
    expect(e.message).toMatch(/letters, digits/);
  });
});

describe('advertisedUrl', () => {
  const stateful = { stateStore: 'levels', guarantee: 'exactly-once' };

  it('takes http(s)://host:port with a state store', () => {
    const url = 'http://10.0.0.7:9464';
    expect(loadConfig({ flags: { ...required, ...stateful, advertisedUrl: url } }).advertisedUrl).toBe(url);
    expect(loadConfig({ flags: { ...required, ...stateful } }).advertisedUrl).toBe('');
  });

  it('refuses a path, another scheme, or no state store, naming the option', () => {
    for (const advertisedUrl of ['http://host:9464/state', 'tcp://host:9464', 'host:9464']) {
      const e = error({ ...stateful, advertisedUrl });
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.message).toMatch(/advertisedUrl/);
      expect(e.message).toMatch(/http\(s\):\/\/host:port/);
    }
    expect(error({ advertisedUrl: 'http://host:9464' }).message).toMatch(/advertisedUrl.*state store/);
  });
});
