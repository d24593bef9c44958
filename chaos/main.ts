/**
 * `npm run chaos`: runs the chaos scenarios against the chaos broker (scripts/kafka.sh with
 * KAFKA_HOME_DIR / KAFKA_PORT / KAFKA_CONTROLLER_PORT, default .kafka-chaos on 9192/9193),
 * starting it if needed and stopping it afterwards if it started it. Prints one JSON line per
 * scenario and ordering on stdout (the stateful scenario runs in partition order only, so once);
 * exits 1 when any invariant failed, 2 on bad flags.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkEnum, enumFlag, type FlagSpec, parseFlags } from '../src/cli/args.js';
import type { VerifyOrdering } from '../src/cli/verify-analysis.js';
import { errorMessage, TurbineError } from '../src/errors.js';
import { brokerAddress, brokerDown, brokerRunning, brokerUp, chaosBroker } from './broker.js';
import { type Guarantee, runScenario } from './runner.js';
import { orderingsOf, SCENARIOS, type ScenarioName } from './scenarios.js';

export const CHAOS_HELP = `Usage: npm run chaos -- [options]    (or: node dist/chaos/main.js [options])

Runs engine instances as child processes against a local broker while faults are injected, then
prints one JSON line per scenario: {scenario, ordering, guarantee, recordsIn, recordsOut,
deadLettered, lost, duplicates, orderViolations, maxStallMs, kills, durationMs, stops,
stallBoundMs, uncleanExits, failures}; the stateful scenario's line adds stateMismatches.
See docs/chaos.md.

Options:
  --scenario S       ${SCENARIOS.join(' | ')} | all (default all)
  --short            the scaled-down sizes npm test uses
  --ordering O       partition | key (default: both, one line each; partition only with
                     --guarantee exactly-once, which needs partition order)
  --guarantee G      at-least-once | exactly-once (default at-least-once; passed to turbine run --guarantee)
                     stateful always runs exactly-once in partition order (one line); it is
                     skipped with --ordering key, and refused when named with it
  --brokers B        broker to use (default 127.0.0.1:$KAFKA_PORT, the chaos broker; broker-restart
                     always restarts the chaos broker, so B must be that broker for it)
`;

const ORDERINGS: readonly VerifyOrdering[] = ['partition', 'key'];

const FLAGS: FlagSpec = {
  scenario: { type: 'string' },
  short: { type: 'boolean' },
  ordering: { type: 'string' },
  guarantee: { type: 'string' },
  brokers: { type: 'string' },
  help: { type: 'boolean' },
};

/** The repository root: the nearest directory up from here holding package.json. */
export function repositoryRoot(from: string = __dirname): string {
  let directory = from;
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`chaos: no package.json above ${from}`);
    directory = parent;
  }
  return directory;
}

export interface ChaosArgs {
  help: boolean;
  scenarios: ScenarioName[];
  orderings: VerifyOrdering[];
  guarantee: Guarantee;
  short: boolean;
  /** --brokers; undefined: the chaos broker. */
  brokers?: string;
}

/** The chaos flags, checked: a combination that cannot run is refused (CONFIG_INVALID) before any broker starts. */
export function parseChaosArgs(argv: string[]): ChaosArgs {
  const values = parseFlags('chaos', argv, FLAGS);
  const scenarios: ScenarioName[] =
    values.scenario === undefined || values.scenario === 'all'
      ? [...SCENARIOS]
      : [checkEnum('scenario', values.scenario, SCENARIOS)];
  const guarantee = enumFlag<Guarantee>(values, 'guarantee', ['at-least-once', 'exactly-once'], 'at-least-once');
  const ordering = values.ordering === undefined ? undefined : checkEnum('ordering', values.ordering, ORDERINGS);
  if (guarantee === 'exactly-once' && ordering === 'key') {
    // The engine refuses exactly-once in key order (exit 2): every instance would fail at start.
    throw new TurbineError(
      'CONFIG_INVALID',
      '--guarantee exactly-once runs in partition order only (--ordering partition): outputs beyond a gap in key order would commit without their offsets',
      { details: { flag: 'ordering', value: ordering } },
    );
  }
  const orderings: VerifyOrdering[] =
    ordering !== undefined ? [ordering] : guarantee === 'exactly-once' ? ['partition'] : [...ORDERINGS];
  if (
    values.scenario !== undefined &&
    values.scenario !== 'all' &&
    orderingsOf(scenarios[0]!, orderings).length === 0
  ) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `--scenario ${scenarios[0]} runs in partition order only (a state store needs exactly-once, which needs partition order)`,
      { details: { flag: 'ordering' } },
    );
  }
  return {
    help: values.help === true,
    scenarios,
    orderings,
    guarantee,
    short: values.short === true,
    ...(typeof values.brokers === 'string' ? { brokers: values.brokers } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(CHAOS_HELP);
    return 0;
  }
  const { scenarios, orderings, guarantee, short, brokers: brokersFlag } = parseChaosArgs(argv);
  const root = repositoryRoot();
  const broker = chaosBroker(root);
  const brokers = brokersFlag ?? brokerAddress(broker);
  if (scenarios.includes('broker-restart') && brokers !== brokerAddress(broker)) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `--brokers must be the chaos broker ${brokerAddress(broker)} for broker-restart (got ${brokers})`,
      { details: { flag: 'brokers' } },
    );
  }

  const startedBroker = brokers === brokerAddress(broker) && !(await brokerRunning(root, broker));
  if (startedBroker) await brokerUp(root, broker);
  let failed = 0;
  try {
    for (const scenario of scenarios) {
      for (const ordering of orderingsOf(scenario, orderings)) {
        const line = await runScenario({
          scenario,
          short,
          ordering,
          guarantee,
          brokers,
          broker,
          root,
          logDir: join(root, '.tmp', 'chaos'),
        });
        process.stdout.write(`${JSON.stringify(line)}\n`);
        if (line.failures.length > 0) failed++;
      }
    }
  } finally {
    if (startedBroker) await brokerDown(root, broker);
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Native client handles can outlive the run by a few seconds; do not wait for them.
      process.exitCode = code;
      setTimeout(() => process.exit(code), 200).unref();
    },
    (error: unknown) => {
      const code = error instanceof TurbineError && error.code === 'CONFIG_INVALID' ? 2 : 1;
      process.stderr.write(`chaos: ${errorMessage(error)}\n`);
      process.exit(code);
    },
  );
}
