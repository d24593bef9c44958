/**
 * The chaos scenarios: how much input each one feeds, how the engines are configured, and the
 * script of faults it plays while the feed runs. Every script leaves at least one instance
 * running; the runner then waits until the group committed the whole input.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { VerifyOrdering } from '../src/cli/verify-analysis.js';
import type { RecordKind } from './feed.js';
import type { Fleet, Instance } from './fleet.js';

export const SCENARIOS = ['kill9', 'broker-restart', 'poison', 'churn', 'stateful'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioContext {
  fleet: Fleet;
  short: boolean;
  /** Records the feed has handed to the producer so far. */
  sent(): number;
  /** Stops and starts the chaos broker; adds the time it was away to `outageMs`. */
  restartBroker(): Promise<void>;
  kills: number;
  stops: number;
  outageMs: number;
}

export interface Scenario {
  name: ScenarioName;
  count: number;
  /** Records per second the feed offers. */
  rate: number;
  /** Worker threads per instance. */
  poolSize: number;
  /** Extra `turbine run` flags for this scenario. */
  flags: string[];
  /** Records that hang their worker cost a batch attempt and a single-record attempt, each cut at the task timeout. */
  hangs: number;
  kindOf(index: number): RecordKind;
  script(context: ScenarioContext): Promise<void>;
  /**
   * chaos: workers/chaos.ts echoes `{"i":…}` records. inventory: workers/inventory.ts folds stock
   * movements (the feed's movements format) into stock levels, its low-stock alerts going to
   * their own topic so the output topic holds one level per movement.
   */
  worker: 'chaos' | 'inventory';
  /**
   * Keyed state: the store's name (`turbine run --state-store`). The runner then also checks
   * the levels against the fold of the movements (stateMismatches).
   */
  stateStore?: string;
  /**
   * The one setting this scenario runs in, whatever --guarantee and --ordering say. A state
   * store needs exactly-once, and exactly-once needs partition order, so the stateful
   * scenario runs once, not once per ordering.
   */
  fixed?: { guarantee: 'exactly-once'; ordering: VerifyOrdering };
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

const normal = (): RecordKind => 'normal';

async function untilSent(context: ScenarioContext, records: number): Promise<void> {
  while (context.sent() < records) await sleep(50);
}

/** Scales the fleet down to one instance with SIGTERM (the newest one stays). */
function downToOne(context: ScenarioContext): void {
  const running = context.fleet.running();
  for (const instance of running.slice(0, -1)) {
    context.fleet.terminate(instance);
    context.stops++;
  }
}

/** How long a kill waits for a settled instance (start-up and rebalances are slow on a loaded machine). */
const VICTIM_WAIT_MS = 20_000;
/**
 * A kill -9 victim must have held its latest assignment this long. Otherwise kills chain: a
 * partition's new owner is killed while it replays from the last commit, and the partition
 * pays another session timeout each time without a single new record done.
 */
const SETTLED_MS = 5_000;
/** How long a kill waits for the group to hand the previous victim's partitions on. */
const REASSIGN_WAIT_MS = 30_000;
/**
 * No assignment for this long after the reassignment: the cooperative rebalance's second round
 * (partitions moving to a fresh instance) has completed too, so the next victim cannot be an
 * instance that has just been handed partitions and not logged them yet.
 */
const GROUP_QUIET_MS = 2_000;

/**
 * Waits until a running instance got an assignment after `killedAt` and the group has then been
 * quiet for GROUP_QUIET_MS: the rebalance that moves the victim's partitions has completed (with
 * the classic protocol it cannot complete before the victim's session expires). One fault at a
 * time: a kill that lands in a rebalance still waiting for an earlier victim's session to expire
 * makes every member wait for its session too, so chained kills add a session timeout each to
 * the partitions already waiting (a run without this wait measured 55 s for a partition orphaned
 * across three kills; docs/chaos.md).
 */
async function untilReassigned(fleet: Fleet, killedAt: number): Promise<void> {
  const deadline = Date.now() + REASSIGN_WAIT_MS;
  const settled = () => {
    const last = fleet.lastAssignedAt();
    return last > killedAt && Date.now() - last >= GROUP_QUIET_MS;
  };
  while (!settled() && Date.now() < deadline) await sleep(100);
}

/** A running instance settled on its assignment, waiting up to VICTIM_WAIT_MS; else one that joined; else any. */
async function killVictim(fleet: Fleet): Promise<Instance | undefined> {
  const deadline = Date.now() + VICTIM_WAIT_MS;
  while (fleet.settled(SETTLED_MS).length === 0 && Date.now() < deadline) await sleep(100);
  for (const candidates of [fleet.settled(SETTLED_MS), fleet.joined(), fleet.running()])
    if (candidates.length > 0) return pick(candidates);
  return undefined;
}

/**
 * One crash: `kill -9` of a victim (killVictim), its replacement started at once, then at least
 * `intervalMs` and until the group has moved the victim's partitions. False when there was no victim.
 */
async function killOne(context: ScenarioContext, intervalMs: number): Promise<boolean> {
  const { fleet } = context;
  const victim = await killVictim(fleet);
  if (victim === undefined) return false;
  const killedAt = Date.now();
  await fleet.kill(victim);
  context.kills++;
  fleet.start();
  await sleep(intervalMs);
  await untilReassigned(fleet, killedAt);
  return true;
}

/** Starts one instance, waits `warmMs`, starts two more and waits again: three instances to break. */
async function startThree(fleet: Fleet, warmMs: number): Promise<void> {
  fleet.start();
  await sleep(warmMs);
  fleet.start();
  fleet.start();
  await sleep(warmMs);
}

function kill9(short: boolean): Scenario {
  const kills = short ? 2 : 12;
  const intervalMs = short ? 2_000 : 5_000;
  const warmMs = short ? 3_000 : 5_000;
  return {
    name: 'kill9',
    count: short ? 10_000 : 200_000,
    rate: short ? 1_000 : 2_500,
    poolSize: 1,
    flags: [],
    hangs: 0,
    kindOf: normal,
    worker: 'chaos',
    async script(context) {
      await startThree(context.fleet, warmMs);
      for (let k = 0; k < kills; k++) if (!(await killOne(context, intervalMs))) break;
      downToOne(context);
    },
  };
}

function brokerRestart(short: boolean): Scenario {
  const count = short ? 6_000 : 100_000;
  return {
    name: 'broker-restart',
    count,
    rate: short ? 1_000 : 2_000,
    poolSize: 1,
    flags: [],
    hangs: 0,
    kindOf: normal,
    worker: 'chaos',
    async script(context) {
      context.fleet.start();
      context.fleet.start();
      await untilSent(context, Math.floor(count * 0.4));
      await context.restartBroker();
    },
  };
}

function poison(short: boolean): Scenario {
  const count = short ? 5_000 : 60_000;
  const hangs = short ? 2 : 5;
  const hangAt = new Set(Array.from({ length: hangs }, (_, h) => Math.floor(((h + 1) * count) / (hangs + 1)) + 1));
  return {
    name: 'poison',
    count,
    rate: short ? 1_000 : 2_000,
    poolSize: 2,
    // Small batches: a throwing record fails its whole batch, which is then retried record by record.
    flags: ['--batch-max-records', '50', '--retry-max-attempts', '1', '--retry-initial-ms', '50'],
    hangs,
    kindOf(index) {
      if (hangAt.has(index)) return 'hang';
      if (index % 1000 === 137) return 'undecodable';
      if (index % 1000 === 611) return 'throw';
      return 'normal';
    },
    worker: 'chaos',
    async script(context) {
      context.fleet.start();
      context.fleet.start();
    },
  };
}

/** At most this many engine processes at once (draining ones included): 2 cores are shared. */
const CHURN_MAX_ALIVE = 6;
const CHURN_TICK_MS = 500;

/**
 * For `churnMs`, every CHURN_TICK_MS: start an instance (while fewer than CHURN_MAX_ALIVE are
 * alive) and SIGTERM a random other one that has joined the group, keeping at least one running.
 */
async function churnFor(context: ScenarioContext, churnMs: number): Promise<void> {
  const { fleet } = context;
  const end = Date.now() + churnMs;
  while (Date.now() < end) {
    await sleep(CHURN_TICK_MS);
    let started: Instance | undefined;
    if (fleet.alive().length < CHURN_MAX_ALIVE) started = fleet.start();
    // Stop one that has joined the group (so it has its SIGTERM handler): a graceful stop.
    const running = fleet.running().filter((i) => i !== started);
    const candidates = fleet.joined().filter((i) => i !== started);
    if (candidates.length > 0 && running.length > 1) {
      fleet.terminate(pick(candidates));
      context.stops++;
    }
  }
}

function churn(short: boolean): Scenario {
  const churnMs = short ? 8_000 : 60_000;
  return {
    name: 'churn',
    count: short ? 8_000 : 90_000,
    rate: short ? 1_000 : 1_500,
    poolSize: 1,
    flags: [],
    hangs: 0,
    kindOf: normal,
    worker: 'chaos',
    async script(context) {
      context.fleet.start();
      context.fleet.start();
      await churnFor(context, churnMs);
      downToOne(context);
    },
  };
}

/** The stateful scenario's store; its changelog is `<group>-levels-changelog`. */
const STATE_STORE = 'levels';

/**
 * Keyed state under crashes and graceful rebalances: the inventory worker keeps stock levels in
 * a state store, exactly-once in partition order. Rounds of one `kill -9` (as kill9: a settled
 * victim, replaced at once, the next fault once the group has moved its partitions) followed by
 * SIGTERM churn (as churn), so partitions move both by crash (the victim's open transaction never
 * commits; the next owner restores the committed changelog) and by drain (the last transaction
 * commits, the state is dropped and the next owner restores it).
 */
function stateful(short: boolean): Scenario {
  const rounds = short ? 2 : 4;
  const churnMs = short ? 3_000 : 6_000;
  return {
    name: 'stateful',
    count: short ? 10_000 : 160_000,
    rate: short ? 500 : 2_000,
    poolSize: 1,
    flags: ['--state-store', STATE_STORE],
    hangs: 0,
    kindOf: normal,
    worker: 'inventory',
    stateStore: STATE_STORE,
    fixed: { guarantee: 'exactly-once', ordering: 'partition' },
    async script(context) {
      await startThree(context.fleet, short ? 3_000 : 5_000);
      for (let r = 0; r < rounds; r++) {
        if (!(await killOne(context, short ? 2_000 : 5_000))) break;
        await churnFor(context, churnMs);
      }
      downToOne(context);
    },
  };
}

/** The orderings `name` runs in, of those asked for: a scenario with a fixed setting runs in that one only. */
export function orderingsOf(name: ScenarioName, asked: readonly VerifyOrdering[]): VerifyOrdering[] {
  const fixed = scenario(name, true).fixed;
  if (fixed === undefined) return [...asked];
  return asked.includes(fixed.ordering) ? [fixed.ordering] : [];
}

export function scenario(name: ScenarioName, short: boolean): Scenario {
  switch (name) {
    case 'kill9':
      return kill9(short);
    case 'broker-restart':
      return brokerRestart(short);
    case 'poison':
      return poison(short);
    case 'churn':
      return churn(short);
    case 'stateful':
      return stateful(short);
  }
}
