/**
 * Runs one chaos scenario end to end against a real broker: creates fresh topics, starts the
 * feed and the scenario's fault script, waits until the group committed the whole input, stops
 * the engines, reads everything back and checks the invariants (for the stateful scenario also
 * the stock levels against the changelog and the movements). Returns the scenario's line.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteTopics, ensureTopics } from '../src/admin/topics.js';
import type { VerifyOrdering } from '../src/cli/verify-analysis.js';
import { errorMessage } from '../src/errors.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS } from '../src/sink/producer-config.js';
import { changelogTopicOf } from '../src/state/keyed-state.js';
import {
  type ChaosFigures,
  chaosFigures,
  INVENTORY_START,
  innocentDeadLettered,
  type StateFigures,
  stateFigures,
} from './analysis.js';
import { brokerDown, brokerUp, type ChaosBroker } from './broker.js';
import { Feed, isPoisonValue } from './feed.js';
import { Fleet } from './fleet.js';
import { committedOffsets, readChangelog, readInputs, readResults, topicEnd } from './read-back.js';
import { type ScenarioContext, type ScenarioName, scenario as scenarioOf } from './scenarios.js';

export type Guarantee = 'at-least-once' | 'exactly-once';

export interface ChaosOptions {
  scenario: ScenarioName;
  short: boolean;
  /** Asked for; a scenario with a fixed setting (stateful) runs in its own ordering and guarantee. */
  ordering: VerifyOrdering;
  guarantee: Guarantee;
  brokers: string;
  /** The broker scenario broker-restart stops and starts; it must be the one at `brokers`. */
  broker: ChaosBroker;
  root: string;
  logDir: string;
}

/** The scenario's JSON line: its setting, its figures (see ChaosFigures) and the verdict. */
export interface ChaosLine extends Omit<ChaosFigures, 'maxStall'> {
  scenario: ScenarioName;
  ordering: VerifyOrdering;
  guarantee: Guarantee;
  /** kill -9s of engine instances. */
  kills: number;
  /** From the first record fed to the whole input committed (or the completion deadline). */
  durationMs: number;
  /** SIGTERMs of engine instances. */
  stops: number;
  /** The largest maxStallMs the scenario accepts (see stallBound). */
  stallBoundMs: number;
  /** Engine exits the runner did not cause, or graceful stops that did not exit 0 (details on stderr). */
  uncleanExits: number;
  /** Invariants that failed; empty when the scenario passed. */
  failures: string[];
  /** Dead-lettered records that carried no poison marker (must be 0: only poison may be dead-lettered). */
  innocentDeadLettered: number;
  /**
   * Stateful scenario only: SKU/warehouse pairs whose last stock-level output or changelog level
   * differs from the fold of their movements (StateFigures). Absent from other scenarios' lines.
   */
  stateMismatches?: number;
}

const PARTITIONS = 6;
const KEYS = 1_000;
export const TASK_TIMEOUT_MS = 3_000;
/** Consumer session timeout of the engines: how long a kill -9ed member keeps its partitions. */
export const SESSION_TIMEOUT_MS = 6_000;
/**
 * Time a partition may wait for its group to notice a crash and move it: a crashed member's
 * session timeout, once more if the new owner is killed too, and 10 s for the cooperative
 * rebalance rounds and a fresh process's start on a loaded 2-core machine.
 */
export const REBALANCE_ALLOWANCE_MS = 2 * SESSION_TIMEOUT_MS + 10_000;

/**
 * How long a killed instance's transaction stays open: the engine's transaction.timeout.ms
 * (src/sink/producer-config.ts) plus the broker's check for timed-out transactions
 * (transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s by default). A keyed-state
 * restore waits for it (docs/state.md), so its partition stalls that much longer.
 */
export const OPEN_TRANSACTION_MS = DEFAULT_TRANSACTION_TIMEOUT_MS + 10_000;

/**
 * The accepted maxStallMs: one task timeout (three when records hang: a packed attempt, the
 * batch alone, then the record's own attempt), plus the rebalance allowance, plus the time the
 * broker was away, plus (keyed state after a kill) the wait for the killed instance's transaction.
 */
export function stallBound(hangs: number, outageMs: number, openTransactionMs = 0): number {
  return (hangs > 0 ? 3 : 1) * TASK_TIMEOUT_MS + REBALANCE_ALLOWANCE_MS + outageMs + openTransactionMs;
}

const sum = (values: Map<number, number>) => [...values.values()].reduce((a, b) => a + b, 0);

export async function runScenario(options: ChaosOptions): Promise<ChaosLine> {
  const scenario = scenarioOf(options.scenario, options.short);
  const ordering = scenario.fixed?.ordering ?? options.ordering;
  const guarantee = scenario.fixed?.guarantee ?? options.guarantee;
  const tag = `${options.scenario}-${ordering}-${randomBytes(3).toString('hex')}`;
  const input = `chaos-${tag}-in`;
  const output = `chaos-${tag}-out`;
  const deadLetter = `${input}.dlq`;
  // The inventory worker's low-stock alerts: their own topic, so the output holds one level per movement.
  const alerts = `chaos-${tag}-alerts`;
  const group = `chaos-${tag}`;
  const logDir = join(options.logDir, tag);
  const inventory = scenario.worker === 'inventory';
  // The engines create the changelog at start (docs/state.md); the runner reads and deletes it.
  const changelog = scenario.stateStore === undefined ? undefined : changelogTopicOf(group, scenario.stateStore);
  const topics = [input, output, deadLetter, ...(inventory ? [alerts] : [])];
  await ensureTopics(
    options.brokers,
    topics.map((name) => ({ name, partitions: PARTITIONS })),
  );

  await waitForTopic(options.brokers, input);

  const fleet = new Fleet({
    root: options.root,
    brokers: options.brokers,
    input,
    output,
    group,
    logDir,
    worker: `${scenario.worker}.js`,
    env: {
      TURBINE_LOG_LEVEL: 'info',
      ...(inventory ? { ALERT_TOPIC: alerts, INVENTORY_START: String(INVENTORY_START) } : { SPIN_US: '100' }),
    },
    flags: [
      ...['--ordering', ordering, '--pool-size', String(scenario.poolSize)],
      ...['--task-timeout-ms', String(TASK_TIMEOUT_MS), '--commit-interval-ms', '500'],
      ...['--batch-max-records', '100', '--max-in-flight-records', '2000', '--metrics-port', '0'],
      ...['--shutdown-timeout-ms', '15000', '--rebalance-drain-timeout-ms', '5000'],
      ...['--kafka', `session.timeout.ms=${SESSION_TIMEOUT_MS}`, '--kafka', 'heartbeat.interval.ms=1000'],
      // Fetch at most 64 KiB per partition (librdkafka's default is 1 MiB, about 8,000 of these
      // records): with a backlog, a consumer then interleaves its partitions instead of working
      // through a megabyte of one while the others wait, which would count as a stall.
      ...['--kafka', `max.partition.fetch.bytes=${64 * 1024}`],
      // After a broker restart, reconnect within a second rather than librdkafka's 10 s backoff ceiling.
      ...['--kafka', 'reconnect.backoff.max.ms=1000'],
      // at-least-once is the engine's default; the flag is passed only when asked for more.
      ...(guarantee === 'exactly-once' ? ['--guarantee', 'exactly-once'] : []),
      ...scenario.flags,
    ],
  });
  const feed = new Feed({
    brokers: options.brokers,
    topic: input,
    count: scenario.count,
    rate: scenario.rate,
    keys: KEYS,
    kindOf: scenario.kindOf,
    format: inventory ? 'movements' : 'chaos',
  });
  await feed.connect();
  const context: ScenarioContext = {
    fleet,
    short: options.short,
    sent: () => feed.sent,
    kills: 0,
    stops: 0,
    outageMs: 0,
    async restartBroker() {
      const down = Date.now();
      await brokerDown(options.root, options.broker);
      await brokerUp(options.root, options.broker);
      context.outageMs += Date.now() - down;
    },
  };

  const started = Date.now();
  const failures: string[] = [];
  let durationMs = 0;
  try {
    const fed = feed.run();
    await scenario.script(context);
    await fed;
    if (fleet.running().length === 0) fleet.start();
    const complete = await waitCommitted(options.brokers, group, input, options.short ? 120_000 : 300_000);
    durationMs = Date.now() - started;
    if (!complete) failures.push('the group did not commit the whole input before the deadline');
  } finally {
    await fleet.stopAll();
    await feed.close();
  }

  const isolation = guarantee === 'exactly-once' ? 'read_committed' : 'read_uncommitted';
  const readTimeoutMs = 120_000;
  // Values only where the state check folds them: 160,000 inputs and outputs of text otherwise unused.
  const values = changelog !== undefined;
  const inputs = await readInputs(options.brokers, input, readTimeoutMs, values);
  const outputs = await readResults(options.brokers, output, isolation, readTimeoutMs, values);
  // Dead letters with their values: the poison check tells the poison records from innocent ones.
  const deadLetters = await readResults(options.brokers, deadLetter, isolation, readTimeoutMs, true);
  const innocent = innocentDeadLettered(deadLetters, isPoisonValue);
  const figures = chaosFigures(inputs, outputs, deadLetters, ordering, {
    inputTopic: input,
    endMs: started + durationMs,
  });
  let state: StateFigures | undefined;
  if (changelog !== undefined) {
    const changes = await readChangelog(options.brokers, changelog, readTimeoutMs);
    state = stateFigures(inputs, outputs, deadLetters, changes, { inputTopic: input, start: INVENTORY_START });
  }
  const restoreWait = scenario.stateStore !== undefined && context.kills > 0 ? OPEN_TRANSACTION_MS : 0;
  const stallBoundMs = stallBound(scenario.hangs, context.outageMs, restoreWait);
  if (figures.recordsIn !== scenario.count)
    failures.push(`the input holds ${figures.recordsIn} records, not ${scenario.count}`);
  if (figures.lost > 0) failures.push(`lost ${figures.lost}`);
  if (figures.orderViolations > 0) failures.push(`orderViolations ${figures.orderViolations}`);
  if (guarantee === 'exactly-once' && figures.duplicates > 0)
    failures.push(`duplicates ${figures.duplicates} under exactly-once`);
  // Graceful stops drain and commit before letting go: at-least-once must not duplicate either.
  if (options.scenario === 'churn' && figures.duplicates > 0)
    failures.push(`duplicates ${figures.duplicates} under graceful churn (SIGTERM only)`);
  if (innocent > 0)
    failures.push(`innocentDeadLettered ${innocent}: records without a poison marker were dead-lettered`);
  // A check that compared nothing (values not read back, no movement decoded) must not pass.
  if (state !== undefined && state.levels === 0) failures.push('the state check compared no stock levels');
  if (state !== undefined && state.stateMismatches > 0) {
    const diverged = state.divergedAt.map((d) => `${d.partition}@${d.offset}`).join(', ');
    failures.push(
      `stateMismatches ${state.stateMismatches} of ${state.levels} levels (last output ${state.outputMismatches}, ` +
        `changelog ${state.changelogMismatches}; first wrong level per input partition: ${diverged || 'none'}; ` +
        `${state.examples.join('; ')})`,
    );
  }
  if (figures.maxStallMs > stallBoundMs) {
    const where = figures.maxStall;
    failures.push(
      `maxStallMs ${figures.maxStallMs} > ${stallBoundMs}` +
        (where ? ` (partition ${where.partition}, ended ${new Date(where.endedAtMs).toISOString()})` : ''),
    );
  }
  for (const exit of fleet.unexpectedExits) process.stderr.write(`chaos: ${tag}: unclean exit of ${exit}\n`);

  if (failures.length === 0) {
    await deleteTopics(options.brokers, [...topics, ...(changelog ? [changelog] : [])]).catch(() => undefined);
  } else {
    process.stderr.write(`chaos: ${tag} failed; topics kept, engine logs in ${logDir}\n`);
  }
  return {
    scenario: options.scenario,
    ordering,
    guarantee,
    recordsIn: figures.recordsIn,
    recordsOut: figures.recordsOut,
    deadLettered: figures.deadLettered,
    lost: figures.lost,
    duplicates: figures.duplicates,
    orderViolations: figures.orderViolations,
    ...(state === undefined ? {} : { stateMismatches: state.stateMismatches }),
    innocentDeadLettered: innocent,
    maxStallMs: figures.maxStallMs,
    kills: context.kills,
    durationMs,
    stops: context.stops,
    stallBoundMs,
    uncleanExits: fleet.unexpectedExits.length,
    failures,
  };
}

/** Polls the group's committed offsets until they reach the input's end; false at the deadline. */
async function waitCommitted(brokers: string, group: string, input: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const end = sum(await topicEnd(brokers, input));
  while (Date.now() < deadline) {
    try {
      if (sum(await committedOffsets(brokers, group, input)) >= end) return true;
    } catch (error) {
      process.stderr.write(`chaos: reading committed offsets failed (${errorMessage(error)}); retrying\n`);
    }
    await sleep(500);
  }
  return false;
}

/**
 * Waits until a new topic's partitions show in metadata: createTopic returns before every
 * client sees them, and an engine that starts in between exits with "input topic does not exist".
 */
async function waitForTopic(brokers: string, topic: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  const visible = () =>
    topicEnd(brokers, topic).then(
      (ends) => ends.size >= PARTITIONS,
      () => false,
    );
  while (!(await visible())) {
    if (Date.now() > deadline) throw new Error(`chaos: topic ${topic} did not show up in metadata`);
    await sleep(200);
  }
}
