import { parseRunArgs, runHelp } from '../../../src/cli/run-args.js';
import { flagName, OPTIONS } from '../../../src/config/options.js';
import { TurbineError } from '../../../src/errors.js';

function argsError(argv: string[]): TurbineError {
  try {
    parseRunArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(TurbineError);
    return error as TurbineError;
  }
  throw new Error(`parseRunArgs accepted ${argv.join(' ')}`);
}

describe('parseRunArgs', () => {
  it('maps --kebab-case flags to camelCase options', () => {
    const args = parseRunArgs([
      '--brokers',
      'b:9092',
      '--batch-max-records',
      '50',
      '--ordering=key',
      '--config',
      'c.json',
    ]);
    expect(args.flags).toEqual({ brokers: 'b:9092', batchMaxRecords: '50', ordering: 'key' });
    expect(args.configFile).toBe('c.json');
    expect(args.help).toBe(false);
  });

  it('collects repeated --kafka key=value pairs, keeping = inside values', () => {
    const args = parseRunArgs([
      '--kafka',
      'fetch.max.bytes=1048576',
      '--kafka',
      'sasl.password=a=b',
      '--kafka',
      ' x.y =1',
    ]);
    expect(args.flags.kafka).toEqual({ 'fetch.max.bytes': '1048576', 'sasl.password': 'a=b', 'x.y': '1' });
  });

  it('rejects --kafka without key=value', () => {
    for (const pair of ['fetch.max.bytes', '=1']) {
      const error = argsError(['--kafka', pair]);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('key=value');
      expect(error.message).toContain(pair);
    }
  });

  it('rejects an unknown flag naming the accepted ones', () => {
    const error = argsError(['--batch-size', '10']);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('--batch-size');
    expect(error.message).toContain('--batch-max-records');
    expect(error.message).toContain('--config');
    expect(error.message).toContain('--kafka');
  });

  it('rejects positionals', () => {
    expect(argsError(['extra']).code).toBe('CONFIG_INVALID');
  });

  it('recognises --help with no configuration', () => {
    const args = parseRunArgs(['--help']);
    expect(args.help).toBe(true);
    expect(args.flags).toEqual({});
    expect(args.configFile).toBeUndefined();
  });
});

describe('runHelp', () => {
  it('lists every option of the table with its doc line', () => {
    const help = runHelp();
    for (const [name, spec] of Object.entries(OPTIONS)) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(`${flagName(name)} `));
      expect(line).toBeDefined();
      expect(line).toContain(spec.doc);
    }
    expect(help).toContain('--config');
    expect(help).toContain('--help');
  });

  it('shows defaults and marks required options', () => {
    const help = runHelp();
    const line = (flag: string) => help.split('\n').find((l) => l.trimStart().startsWith(`${flag} `)) ?? '';
    expect(line('--brokers')).toContain('(required)');
    expect(line('--batch-max-records')).toContain('[default: 500]');
    expect(line('--ordering')).toContain('[default: "partition"]');
    expect(line('--pool-size')).toContain('[default: CPU count]');
    expect(line('--input-schema')).not.toContain('[default');
  });
});
