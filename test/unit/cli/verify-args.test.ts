import { join } from 'node:path';
import { parseVerifyArgs } from '../../../src/cli/verify-options.js';
import { TurbineError } from '../../../src/errors.js';

const base = ['--brokers', 'b:9092', '--input', 'in', '--output', 'out'];

describe('parseVerifyArgs --isolation-level', () => {
  it('defaults to read_committed, as downstream readers of exactly-once outputs read', () => {
    expect(parseVerifyArgs(base).isolationLevel).toBe('read_committed');
  });

  it('accepts read_uncommitted and rejects anything else naming the accepted values', () => {
    expect(parseVerifyArgs([...base, '--isolation-level', 'read_uncommitted']).isolationLevel).toBe('read_uncommitted');
    let error: unknown;
    try {
      parseVerifyArgs([...base, '--isolation-level', 'dirty']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TurbineError);
    expect((error as TurbineError).message).toContain('read_committed');
  });
});

describe('parseVerifyArgs --state-store', () => {
  const stateBase = [...base, '--state-store', 'levels', '--group', 'g1'];

  function configError(argv: string[]): TurbineError {
    let error: unknown;
    try {
      parseVerifyArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TurbineError);
    expect((error as TurbineError).code).toBe('CONFIG_INVALID');
    return error as TurbineError;
  }

  it('is off without the flag', () => {
    expect(parseVerifyArgs(base).state).toBeUndefined();
  });

  it('takes the store, the group and the start value (default 100, as the inventory worker)', () => {
    expect(parseVerifyArgs(stateBase).state).toEqual({
      store: 'levels',
      group: 'g1',
      startValue: 100,
      stateSchema: '',
    });
    expect(parseVerifyArgs([...stateBase, '--start-value', '30']).state?.startValue).toBe(30);
    expect(parseVerifyArgs([...stateBase, '--start-value=-5']).state?.startValue).toBe(-5);
  });

  it('rejects a start value that is not an integer, naming --start-value', () => {
    for (const bad of ['abc', '1.5', '', '1e12']) {
      const error = configError([...stateBase, '--start-value', bad]);
      expect(error.message).toContain('--start-value');
      expect(error.details).toMatchObject({ flag: 'start-value' });
    }
  });

  it('needs --group with --state-store: the changelog topic is <group>-<store>-changelog', () => {
    const error = configError([...base, '--state-store', 'levels']);
    expect(error.message).toContain('--group');
    expect(error.message).toContain('changelog');
    expect(error.details).toMatchObject({ flag: 'group' });
  });

  it("takes the store's Avro schema, checked before any read", () => {
    const schema = join(__dirname, '..', '..', '..', 'workers', 'schemas', 'sku-levels.avsc');
    expect(parseVerifyArgs([...stateBase, '--state-schema', schema]).state?.stateSchema).toBe(schema);
    expect(configError([...stateBase, '--state-schema', '/no/such.avsc']).message).toMatch(/--state-schema/);
  });

  it('refuses --group and --start-value without --state-store instead of ignoring them', () => {
    expect(configError([...base, '--state-schema', 'x.avsc']).details).toMatchObject({ flag: 'state-schema' });
    expect(configError([...base, '--group', 'g1']).details).toMatchObject({ flag: 'group' });
    expect(configError([...base, '--start-value', '100']).details).toMatchObject({ flag: 'start-value' });
  });

  it('accepts the store names turbine run accepts and nothing else', () => {
    expect(parseVerifyArgs([...base, '--state-store', 'a.b_c-1', '--group', 'g']).state?.store).toBe('a.b_c-1');
    for (const bad of ['has space', 'slash/name', '']) {
      const error = configError([...base, '--state-store', bad, '--group', 'g']);
      expect(error.message).toContain('--state-store');
      expect(error.details).toMatchObject({ flag: 'state-store' });
    }
  });

  it('refuses read_uncommitted: state and outputs count as far as their transactions committed', () => {
    const error = configError([...stateBase, '--isolation-level', 'read_uncommitted']);
    expect(error.message).toContain('--state-store');
    expect(error.details).toMatchObject({ flag: 'isolation-level' });
  });

  it('freezes the state options with the rest', () => {
    const options = parseVerifyArgs(stateBase);
    expect(Object.isFrozen(options)).toBe(true);
    expect(Object.isFrozen(options.state)).toBe(true);
  });
});

describe('parseVerifyArgs --dead-letter', () => {
  function flagOf(argv: string[]): unknown {
    try {
      parseVerifyArgs(argv);
    } catch (e) {
      expect(e).toBeInstanceOf(TurbineError);
      return (e as TurbineError).details?.flag;
    }
    return undefined;
  }

  it('is off without the flag and takes the topic with it', () => {
    expect(parseVerifyArgs(base).deadLetter).toBeUndefined();
    expect(parseVerifyArgs([...base, '--dead-letter', 'in.dlq']).deadLetter).toBe('in.dlq');
  });

  it('refuses an empty name, or the input or output topic, naming --dead-letter', () => {
    expect(flagOf([...base, '--dead-letter', ' '])).toBe('dead-letter');
    expect(flagOf([...base, '--dead-letter', 'in'])).toBe('dead-letter');
    expect(flagOf([...base, '--dead-letter', 'out'])).toBe('dead-letter');
  });
});
