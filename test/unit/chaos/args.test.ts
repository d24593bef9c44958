/**
 * The chaos runner's flags: exactly-once runs in partition order only, so it defaults to that
 * ordering and refuses key order before any broker starts, naming --ordering.
 */
import { parseChaosArgs } from '../../../chaos/main';
import { TurbineError } from '../../../src/errors';

function refusal(argv: string[]): TurbineError {
  try {
    parseChaosArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(TurbineError);
    return error as TurbineError;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

test('at-least-once runs both orderings by default, exactly-once partition order only', () => {
  expect(parseChaosArgs([]).orderings).toEqual(['partition', 'key']);
  expect(parseChaosArgs(['--guarantee', 'exactly-once'])).toMatchObject({
    guarantee: 'exactly-once',
    orderings: ['partition'],
  });
  expect(parseChaosArgs(['--guarantee', 'exactly-once', '--ordering', 'partition']).orderings).toEqual(['partition']);
});

test('exactly-once with key order is refused, naming --ordering', () => {
  const error = refusal(['--guarantee', 'exactly-once', '--ordering', 'key']);
  expect(error.code).toBe('CONFIG_INVALID');
  expect(error.details.flag).toBe('ordering');
  expect(error.message).toContain('--ordering partition');
});

test('the stateful scenario named with key order is refused; unknown values name the accepted ones', () => {
  expect(refusal(['--scenario', 'stateful', '--ordering', 'key']).details.flag).toBe('ordering');
  expect(refusal(['--ordering', 'sideways']).message).toContain('partition');
  expect(parseChaosArgs(['--scenario', 'kill9', '--short', '--brokers', 'h:1'])).toMatchObject({
    scenarios: ['kill9'],
    short: true,
    brokers: 'h:1',
  });
});
