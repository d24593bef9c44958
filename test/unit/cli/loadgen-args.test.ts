/**
 * `turbine loadgen` flags: defaults, and errors that name the flag and what it accepts.
 */
import { parseLoadgenArgs } from '../../../src/cli/loadgen-options';
import { TurbineError } from '../../../src/errors';

const REQUIRED = ['--brokers', '127.0.0.1:9092', '--topic', 'orders'];

function parseError(argv: string[]): TurbineError {
  try {
    parseLoadgenArgs(argv);
  } catch (error) {
    if (error instanceof TurbineError) return error;
    throw error;
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`);
}

describe('parseLoadgenArgs', () => {
  it('fills the documented defaults', () => {
    expect(parseLoadgenArgs(REQUIRED)).toEqual({
      brokers: '127.0.0.1:9092',
      topic: 'orders',
      count: 100_000,
      durationSeconds: 0,
      rate: 0,
      valueSize: 100,
      keys: 1000,
      keyDistribution: 'uniform',
      partitions: 6,
      format: 'json',
      schemaPath: undefined,
      corruptRate: 0,
      seed: 1,
    });
  });

  it('parses every flag', () => {
    const options = parseLoadgenArgs([
      ...REQUIRED,
      '--duration',
      '2.5',
      '--rate',
      '5000',
      '--value-size',
      '256',
      '--keys',
      '10',
      '--key-distribution',
      'zipf',
      '--partitions',
      '3',
      '--format',
      'avro',
    ]);
    expect(options).toMatchObject({
      durationSeconds: 2.5,
      rate: 5000,
      valueSize: 256,
      keys: 10,
      keyDistribution: 'zipf',
      partitions: 3,
      format: 'avro',
    });
  });

  it('rejects an unknown --format, naming the flag and the accepted values', () => {
    const error = parseError([...REQUIRED, '--format', 'xml']);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('--format');
    expect(error.message).toContain('json, raw, avro, image, text');
    expect(error.message).toContain('xml');
  });

  it.each(['image', 'text'])('parses --format %s with --corrupt-rate and --seed', (format) => {
    expect(parseLoadgenArgs([...REQUIRED, '--format', format, '--corrupt-rate', '0.01', '--seed', '42'])).toMatchObject(
      {
        format,
        corruptRate: 0.01,
        seed: 42,
      },
    );
  });

  it('keeps the generated formats clean by default: no corrupt values, seed 1', () => {
    expect(parseLoadgenArgs([...REQUIRED, '--format', 'image'])).toMatchObject({ corruptRate: 0, seed: 1 });
  });

  it.each([
    [['--format', 'image', '--corrupt-rate', '1.5'], '--corrupt-rate'],
    [['--format', 'text', '--corrupt-rate', '-0.1'], '--corrupt-rate'],
    [['--format', 'text', '--corrupt-rate', 'some'], '--corrupt-rate'],
    [['--format', 'image', '--seed', '1.5'], '--seed'],
    [['--format', 'image', '--seed', '-1'], '--seed'],
  ])('rejects %j naming %s', (extra, flag) => {
    const error = parseError([...REQUIRED, ...extra]);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(flag);
  });

  it.each(['json', 'raw', 'avro'])('rejects --corrupt-rate with --format %s', (format) => {
    const error = parseError([...REQUIRED, '--format', format, '--corrupt-rate', '0.1']);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('--corrupt-rate applies to --format image or text');
  });

  it('accepts --corrupt-rate 0 with any format', () => {
    expect(parseLoadgenArgs([...REQUIRED, '--corrupt-rate', '0']).corruptRate).toBe(0);
  });

  it.each(['image', 'text'])(
    'rejects --value-size with --format %s, whose values have sizes of their own',
    (format) => {
      const error = parseError([...REQUIRED, '--format', format, '--value-size', '1000']);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('--value-size does not apply to --format');
    },
  );

  it('rejects --count and --duration together', () => {
    const error = parseError([...REQUIRED, '--count', '10', '--duration', '5']);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('--count');
    expect(error.message).toContain('--duration');
  });

  it.each([
    [['--count', '0'], '--count'],
    [['--count', '1.5'], '--count'],
    [['--rate', '-1'], '--rate'],
    [['--value-size', 'big'], '--value-size'],
    [['--key-distribution', 'pareto'], '--key-distribution'],
    [['--partitions', '0'], '--partitions'],
  ])('rejects %j naming %s', (extra, flag) => {
    const error = parseError([...REQUIRED, ...extra]);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(flag);
  });

  it('requires --brokers and --topic', () => {
    expect(parseError(['--topic', 'orders']).message).toContain('--brokers');
    expect(parseError(['--brokers', 'b:9092']).message).toContain('--topic');
  });

  it('rejects unknown flags and lists the accepted ones', () => {
    const error = parseError([...REQUIRED, '--colour', 'blue']);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('colour');
    expect(error.message).toContain('--value-size');
  });
});
