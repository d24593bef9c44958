import { ERROR_CODES, errorMessage, InvariantViolation, isTurbineError, TurbineError } from '../../src/errors.js';

describe('errors', () => {
  it('documents every code with a non-empty sentence', () => {
    const codes = Object.keys(ERROR_CODES);
    expect(codes.length).toBeGreaterThan(0);
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(typeof description).toBe('string');
      expect(description.trim().length).toBeGreaterThan(10);
    }
  });

  it('TurbineError carries code, retriable, cause and frozen details', () => {
    const cause = new Error('socket closed');
    const error = new TurbineError('KAFKA_COMMIT_FAILED', 'commit failed', { cause, details: { partition: 3 } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TurbineError');
    expect(error.message).toBe('commit failed');
    expect(error.code).toBe('KAFKA_COMMIT_FAILED');
    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ partition: 3 });
    expect(Object.isFrozen(error.details)).toBe(true);
    expect(isTurbineError(error)).toBe(true);
  });

  it('marks configuration and data errors as not retriable, and omits an absent cause', () => {
    for (const code of ['CONFIG_INVALID', 'DECODE_ERROR', 'ENCODE_ERROR', 'INVARIANT_VIOLATION'] as const) {
      expect(new TurbineError(code, 'x').retriable).toBe(false);
    }
    for (const code of ['WORKER_FAILED', 'WORKER_CRASHED', 'KAFKA_PRODUCE_FAILED'] as const) {
      expect(new TurbineError(code, 'x').retriable).toBe(true);
    }
    const error = new TurbineError('CONFIG_INVALID', 'bad');
    expect('cause' in error).toBe(false);
    expect(error.details).toEqual({});
  });

  it('InvariantViolation is a TurbineError with code INVARIANT_VIOLATION', () => {
    const error = new InvariantViolation('offsets went backwards', { offset: 4 });
    expect(error).toBeInstanceOf(TurbineError);
    expect(error).toBeInstanceOf(InvariantViolation);
    expect(error.code).toBe('INVARIANT_VIOLATION');
    expect(error.retriable).toBe(false);
    expect(error.name).toBe('InvariantViolation');
    expect(error.message).toContain('offsets went backwards');
    expect(error.message).toContain('should never happen');
    expect(error.details).toEqual({ offset: 4 });
    expect(isTurbineError(error)).toBe(true);
  });

  it('isTurbineError and errorMessage handle foreign values', () => {
    expect(isTurbineError(new Error('x'))).toBe(false);
    expect(isTurbineError({ code: 'CONFIG_INVALID' })).toBe(false);
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
    expect(errorMessage({ message: 'Local: Erroneous state', code: -172 })).toBe('Local: Erroneous state (code -172)');
    expect(errorMessage({ message: 'no code' })).toBe('no code');
    expect(errorMessage('plain string')).toBe('plain string');
    expect(errorMessage(42)).toBe('42');
  });
});
