import pino from 'pino';
import type { OutboundMessage } from '../../../src/sink/sink.js';
import {
  type CommitOffset,
  classifyTransactionError,
  type TransactionalClient,
} from '../../../src/sink/transactional-client.js';
import { TransactionCoordinator } from '../../../src/sink/transactions.js';

type Call = 'init' | 'begin' | 'sendOffsets' | 'commit' | 'abort' | 'recreate';

/** A transactional producer whose calls are recorded and whose failures are scripted per call. */
class FakeClient implements TransactionalClient {
  readonly calls: Call[] = [];
  readonly sentOffsets: CommitOffset[][] = [];
  private readonly failures = new Map<Call, unknown[]>();

  failNext(call: Call, ...errors: unknown[]): void {
    this.failures.set(call, [...(this.failures.get(call) ?? []), ...errors]);
  }

  /** While set, every call waits for it (a call librdkafka has not answered yet). */
  gate: Promise<void> | undefined;

  private async run(call: Call): Promise<void> {
    this.calls.push(call);
    if (this.gate) await this.gate;
    const queued = this.failures.get(call);
    if (queued && queued.length > 0) throw queued.shift();
  }

  init = () => this.run('init');
  begin = () => this.run('begin');
  sendOffsets = (offsets: CommitOffset[]) => {
    this.sentOffsets.push(offsets);
    return this.run('sendOffsets');
  };
  commit = () => this.run('commit');
  abort = () => this.run('abort');
  recreate = () => this.run('recreate');
}

/** The engine side: produced messages stay unacknowledged until ack() is called. */
class FakeEngine {
  produced: OutboundMessage[] = [];
  unacked = 0;
  offsets: CommitOffset[] = [];
  committed: CommitOffset[][] = [];
  discarded: OutboundMessage[] = [];
  invalidations = 0;
  rewinds = 0;
  hooks = {
    produce: (messages: OutboundMessage[]) => {
      this.produced.push(...messages);
      this.unacked += messages.length;
    },
    unacknowledged: () => this.unacked,
    pendingOffsets: () => this.offsets,
    committed: (offsets: CommitOffset[]) => {
      this.committed.push(offsets);
      this.offsets = [];
    },
    invalidate: () => {
      this.invalidations++;
    },
    discard: (messages: OutboundMessage[]) => {
      this.discarded.push(...messages);
    },
    rewind: async () => {
      this.rewinds++;
      this.unacked = 0;
    },
  };
}

const abortable = Object.assign(new Error('Broker: Invalid producer epoch'), { isTxnRequiresAbort: true, code: 47 });
const fatal = Object.assign(new Error('Local: This instance has been fenced'), { isFatal: true, code: -144 });
const retriable = Object.assign(new Error('Local: Timed out'), { isRetriable: true, code: -185 });

function message(n: number): OutboundMessage {
  return {
    topic: 'out',
    partition: 0,
    key: null,
    value: Buffer.from(String(n)),
    headers: [],
    group: { remaining: 1, onAcked: () => undefined },
    attempts: 0,
  };
}

function setup() {
  const client = new FakeClient();
  const engine = new FakeEngine();
  const aborted: string[] = [];
  const coordinator = new TransactionCoordinator({
    client,
    hooks: engine.hooks,
    logger: pino({ level: 'silent' }),
    metrics: { committed: () => undefined, aborted: (reason) => aborted.push(reason) },
    retryInitialMs: 1,
    retryMaxMs: 2,
    maxAttempts: 3,
  });
  return { client, engine, coordinator, aborted };
}

const flush = () => new Promise((r) => setTimeout(r, 5));

describe('classifyTransactionError', () => {
  it('maps librdkafka flags: fatal wins, then abort, then retriable; anything else is fatal', () => {
    expect(classifyTransactionError(fatal)).toBe('fatal');
    expect(classifyTransactionError({ isFatal: true, isTxnRequiresAbort: true })).toBe('fatal');
    expect(classifyTransactionError(abortable)).toBe('abortable');
    expect(classifyTransactionError({ isRetriable: true, isTxnRequiresAbort: true })).toBe('abortable');
    expect(classifyTransactionError(retriable)).toBe('retriable');
    expect(classifyTransactionError(new Error('unknown'))).toBe('fatal');
    expect(classifyTransactionError({ code: -144 })).toBe('fatal');
  });
});

describe('TransactionCoordinator', () => {
  it('inits and begins on start, produces into the open transaction', async () => {
    const { client, engine, coordinator } = setup();
    await coordinator.start();
    expect(client.calls).toEqual(['init', 'begin']);
    expect(coordinator.state).toBe('open');
    coordinator.send([message(1), message(2)]);
    expect(engine.produced).toHaveLength(2);
  });

  it('commits only after the outputs are acknowledged, with the offsets computed then, and begins again', async () => {
    const { client, engine, coordinator } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    const done = coordinator.commitNow();
    await flush();
    // Still waiting for the acknowledgement: nothing sent to the coordinator yet.
    expect(client.calls).toEqual(['init', 'begin']);
    expect(coordinator.state).toBe('committing');
    // Outputs arriving meanwhile are held for the next transaction.
    coordinator.send([message(2)]);
    expect(engine.produced).toHaveLength(1);
    engine.offsets = [{ topic: 'in', partition: 0, offset: 5 }];
    engine.unacked = 0;
    expect(await done).toBe(true);
    expect(client.calls).toEqual(['init', 'begin', 'sendOffsets', 'commit', 'begin']);
    expect(client.sentOffsets).toEqual([[{ topic: 'in', partition: 0, offset: 5 }]]);
    expect(engine.committed).toEqual([[{ topic: 'in', partition: 0, offset: 5 }]]);
    // The held output went into the new transaction.
    expect(engine.produced.map((m) => String(m.value))).toEqual(['1', '2']);
    expect(coordinator.state).toBe('open');
  });

  it('tick does nothing when the transaction is empty and no offset moved', async () => {
    const { client, coordinator } = setup();
    await coordinator.start();
    coordinator.tick();
    await flush();
    expect(client.calls).toEqual(['init', 'begin']);
  });

  it('commits offsets alone (records with no output) and skips sendOffsets when none moved', async () => {
    const { client, engine, coordinator } = setup();
    await coordinator.start();
    engine.offsets = [{ topic: 'in', partition: 1, offset: 9 }];
    coordinator.tick();
    await flush();
    expect(client.calls).toEqual(['init', 'begin', 'sendOffsets', 'commit', 'begin']);
    coordinator.send([message(1)]);
    engine.unacked = 0;
    await coordinator.commitNow();
    expect(client.calls.slice(5)).toEqual(['commit', 'begin']);
  });

  it('retries a retriable commit error with backoff', async () => {
    const { client, engine, coordinator, aborted } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    engine.unacked = 0;
    client.failNext('commit', retriable, retriable);
    expect(await coordinator.commitNow()).toBe(true);
    expect(client.calls).toEqual(['init', 'begin', 'commit', 'commit', 'commit', 'begin']);
    expect(aborted).toEqual([]);
  });

  it('an abortable commit error aborts, drops in-flight work, rewinds and begins again', async () => {
    const { client, engine, coordinator, aborted } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    engine.unacked = 0;
    engine.offsets = [{ topic: 'in', partition: 0, offset: 3 }];
    client.failNext('commit', abortable);
    expect(await coordinator.commitNow()).toBe(false);
    expect(client.calls).toEqual(['init', 'begin', 'sendOffsets', 'commit', 'abort', 'begin']);
    expect(engine.invalidations).toBe(1);
    expect(engine.rewinds).toBe(1);
    expect(engine.committed).toEqual([]);
    expect(aborted).toEqual(['abortable']);
    expect(coordinator.state).toBe('open');
  });

  it('a failed delivery aborts at once: held outputs are discarded, the commit in progress stops', async () => {
    const { client, engine, coordinator, aborted } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    const committing = coordinator.commitNow();
    await flush();
    coordinator.send([message(2)]);
    coordinator.fail(abortable);
    // invalidate() ran synchronously, before any later result could be produced.
    expect(engine.invalidations).toBe(1);
    expect(engine.discarded.map((m) => String(m.value))).toEqual(['2']);
    expect(await committing).toBe(false);
    expect(client.calls).toEqual(['init', 'begin', 'abort', 'begin']);
    expect(aborted).toEqual(['abortable']);
  });

  it('purge errors (consequences of an abort) do not start another abort', async () => {
    const { engine, coordinator } = setup();
    await coordinator.start();
    coordinator.fail({ code: -152, message: 'Local: Purged in queue' });
    coordinator.fail({ code: -151, message: 'Local: Purged in flight' });
    // Delivery reports carry the text only.
    coordinator.fail(new Error('purged in queue'));
    expect(engine.invalidations).toBe(0);
  });

  it('a delivery error without flags (node-rdkafka delivery reports) aborts rather than replacing the producer', async () => {
    const { client, coordinator, aborted } = setup();
    await coordinator.start();
    coordinator.fail(new Error('Broker: Message size too large'));
    await coordinator.commitNow();
    expect(client.calls).toEqual(['init', 'begin', 'abort', 'begin']);
    expect(aborted).toEqual(['abortable']);
  });

  it('a fatal error (fenced) replaces the producer, inits again and rewinds', async () => {
    const { client, engine, coordinator, aborted } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    engine.unacked = 0;
    client.failNext('sendOffsets', fatal);
    engine.offsets = [{ topic: 'in', partition: 0, offset: 3 }];
    expect(await coordinator.commitNow()).toBe(false);
    expect(client.calls).toEqual(['init', 'begin', 'sendOffsets', 'recreate', 'init', 'begin']);
    expect(engine.rewinds).toBe(1);
    expect(aborted).toEqual(['fatal']);
    expect(coordinator.stats.recreated).toBe(1);
  });

  it('an abort that itself fails escalates to replacing the producer', async () => {
    const { client, coordinator, aborted } = setup();
    await coordinator.start();
    client.failNext('abort', new Error('Local: Erroneous state'));
    coordinator.fail(abortable);
    await coordinator.commitNow();
    expect(client.calls).toEqual(['init', 'begin', 'abort', 'recreate', 'init', 'begin']);
    expect(aborted).toEqual(['fatal']);
  });

  it('a retriable error that keeps coming aborts the transaction after maxAttempts', async () => {
    const { client, engine, coordinator, aborted } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    engine.unacked = 0;
    client.failNext('commit', retriable, retriable, retriable);
    expect(await coordinator.commitNow()).toBe(false);
    expect(client.calls.filter((c) => c === 'commit')).toHaveLength(3);
    expect(aborted).toEqual(['abortable']);
  });

  it('close commits the last transaction, then discards anything sent later', async () => {
    const { client, engine, coordinator } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    engine.unacked = 0;
    engine.offsets = [{ topic: 'in', partition: 0, offset: 1 }];
    expect(await coordinator.close(true)).toBe(true);
    expect(client.calls).toEqual(['init', 'begin', 'sendOffsets', 'commit', 'begin']);
    expect(coordinator.state).toBe('closed');
    coordinator.send([message(2)]);
    expect(engine.discarded).toHaveLength(1);
  });

  it('abandon stops a commit still waiting for acknowledgements: no call is made after it', async () => {
    const { client, engine, coordinator, aborted } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    engine.offsets = [{ topic: 'in', partition: 0, offset: 1 }];
    const done = coordinator.commitNow();
    await flush();
    coordinator.abandon();
    expect(await done).toBe(false);
    await flush();
    expect(client.calls).toEqual(['init', 'begin']);
    expect(aborted).toEqual([]);
    expect(coordinator.state).toBe('closed');
  });

  it('whenIdle waits for a transactional call in progress, and gives up after its timeout', async () => {
    const { client, engine, coordinator } = setup();
    await coordinator.start();
    coordinator.send([message(1)]);
    engine.unacked = 0;
    engine.offsets = [{ topic: 'in', partition: 0, offset: 1 }];
    let answer: () => void = () => undefined;
    client.gate = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const done = coordinator.commitNow();
    await flush();
    expect(client.calls.at(-1)).toBe('sendOffsets');
    expect(await coordinator.whenIdle(20)).toBe(false);
    client.gate = undefined;
    answer();
    expect(await coordinator.whenIdle(1000)).toBe(true);
    expect(await done).toBe(true);
  });
});
