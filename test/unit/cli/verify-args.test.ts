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
