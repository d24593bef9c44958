/**
 * Under faults, nothing is lost and order holds: the chaos suite's five scenarios, scaled down
 * (docs/chaos.md). Engine instances run as `turbine run` child processes against the suite's own
 * broker, which this file starts (scripts/kafka.sh with KAFKA_HOME_DIR / KAFKA_PORT /
 * KAFKA_CONTROLLER_PORT, default .kafka-chaos on 9192/9193) and stops at the end, because one
 * scenario restarts it. Crashed instances (kill -9) are restarted, a throwing, hanging or
 * undecodable record is dead-lettered, graceful churn keeps the stream moving, and keyed state
 * (stock levels, exactly-once) ends as the fold of every movement despite kills and churn.
 */
import { join } from 'node:path';
import { brokerAddress, brokerDown, brokerUp, chaosBroker } from '../../../chaos/broker';
import { type ChaosLine, runScenario } from '../../../chaos/runner';
import type { ScenarioName } from '../../../chaos/scenarios';
import type { VerifyOrdering } from '../../../src/cli/verify-analysis';
import { ROOT } from '../../helpers/kafka';

jest.setTimeout(240_000);

// Always the suite's own broker (.kafka-chaos on 9192/9193), whatever KAFKA_* the shell exports.
const broker = chaosBroker(ROOT, {});
const lines: ChaosLine[] = [];

beforeAll(() => brokerUp(ROOT, broker), 120_000);
afterAll(async () => {
  await brokerDown(ROOT, broker);
  // The figures, for whoever reads the test log.
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
}, 60_000);

const run = async (scenario: ScenarioName, ordering: VerifyOrdering) => {
  const line = await runScenario({
    scenario,
    short: true,
    ordering,
    guarantee: 'at-least-once',
    brokers: brokerAddress(broker),
    broker,
    root: ROOT,
    logDir: join(ROOT, '.tmp', 'chaos'),
  });
  lines.push(line);
  return line;
};

function expectHeld(line: ChaosLine): void {
  expect(line.failures).toEqual([]);
  expect(line).toMatchObject({ lost: 0, orderViolations: 0 });
  expect(line.recordsIn).toBeGreaterThan(0);
  expect(line.recordsOut + line.deadLettered).toBeGreaterThanOrEqual(line.recordsIn);
  expect(line.maxStallMs).toBeLessThanOrEqual(line.stallBoundMs);
}

// One ordering per scenario keeps the file within its time budget; `npm run chaos` runs both.
// One at a time: side by side, they share two cores and their stalls measure each other.
test.each([
  ['kill9', 'partition'],
  ['poison', 'key'],
  // Both orderings: issue 14's duplicates (a stopping member's last commit refused with
  // ILLEGAL_GENERATION by another member's join) showed in partition order. With the retry
  // removed, the full churn/partition scenario gave 1,422 duplicates (5 refused commits in 116
  // stops); a short run has ~17 stops, so it catches that about half the time, not always.
  ['churn', 'partition'],
  ['churn', 'key'],
  // Always exactly-once in partition order (the scenario's own setting, whatever is passed).
  ['stateful', 'partition'],
  ['broker-restart', 'partition'],
] as Array<[ScenarioName, VerifyOrdering]>)(
  '%s (%s ordering): nothing lost, order kept, stalls bounded',
  async (scenario, ordering) => {
    const line = await run(scenario, ordering);
    expectHeld(line);
    if (scenario === 'kill9') expect(line.kills).toBeGreaterThan(0);
    if (scenario === 'poison') {
      expect(line.deadLettered).toBeGreaterThan(0);
      expect(line.innocentDeadLettered).toBe(0);
    }
    if (scenario === 'churn') {
      expect(line.stops).toBeGreaterThan(0);
      expect(line.duplicates).toBe(0);
    }
    if (scenario === 'stateful') {
      expect(line).toMatchObject({ guarantee: 'exactly-once', duplicates: 0, stateMismatches: 0 });
      expect(line.kills).toBeGreaterThan(0);
      expect(line.stops).toBeGreaterThan(0);
    }
  },
);
