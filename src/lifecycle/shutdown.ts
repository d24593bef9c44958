/**
 * The graceful stop, step by step: stop fetching, drain in-flight work, flush the producer,
 * commit (or commit the last transaction), leave the group, close the clients. Every step is
 * bounded so the whole stop ends near shutdownTimeoutMs, whatever the brokers do.
 */
import type { WorkerPool } from '../dispatch/worker-pool.js';
import type { Logger } from '../observability/logger.js';
import { closeTransactions } from '../sink/exactly-once.js';
import type { Sink } from '../sink/sink.js';
import type { TransactionCoordinator } from '../sink/transactions.js';
import type { Source } from '../source/source.js';

/** The part of shutdownTimeoutMs kept after the drain for flushing, committing and closing the clients (at most a quarter). */
const CLOSE_RESERVE_MS = 5_000;

export interface ShutdownParts {
  source: Source;
  sink: Sink;
  pool: WorkerPool;
  transactions?: TransactionCoordinator | undefined;
  /** Stops the linger and pause timers and requested seeks once the consume loop stopped. */
  stopStages: () => void;
  /** Stops the commit (or transaction) and gauge intervals, once the last commit was made. */
  stopTimers: () => void;
  /** Drains every owned partition within `timeoutMs`. */
  drain: (timeoutMs: number) => Promise<boolean>;
  inFlightRecords: () => number;
  /** The last offset commit, retried through rebalances until `deadline`; resolves whether it was accepted. */
  commitFinal: (deadline: number) => Promise<boolean>;
  logger: Logger;
}

export interface ShutdownOutcome {
  /** True when every in-flight record was finished before the deadline. */
  drained: boolean;
  /** What could not complete before the deadline (in-flight records, last transaction, client close); empty when all did. */
  unfinished: string[];
}

export interface CloseResult extends ShutdownOutcome {
  durationMs: number;
}

export async function shutdown(p: ShutdownParts, timeoutMs: number): Promise<ShutdownOutcome> {
  const deadline = Date.now() + timeoutMs;
  // `budget(keepMs, floorMs)` is the time left minus what later steps keep.
  const reserveMs = Math.min(CLOSE_RESERVE_MS, timeoutMs / 4);
  const budget = (keepMs: number, floorMs: number) => Math.max(floorMs, deadline - Date.now() - keepMs);
  const unfinished: string[] = [];
  // Transactional calls started from now on end before the clients are closed.
  p.transactions?.endCallsBy(deadline - reserveMs / 5);
  await p.source.stop();
  p.stopStages();
  const drained = await p.drain(budget(reserveMs, 0));
  if (!drained) unfinished.push(`${p.inFlightRecords()} in-flight records (read again by the next owner)`);
  await p.sink.flush(budget((reserveMs * 3) / 5, 100));
  if (p.transactions) {
    if (!(await closeTransactions(p.transactions, budget((reserveMs * 2) / 5, 500), p.logger)))
      unfinished.push('commit of the last transaction');
  } else if (!(await p.commitFinal(deadline - reserveMs / 5)))
    unfinished.push('offset commit (records since the last commit are read again by the next owner)');
  p.stopTimers();
  if (!(await p.source.disconnect(budget(reserveMs / 5, 500)))) unfinished.push('consumer close (leaving the group)');
  // Never close the producer under a running transactional call (they deadlock in librdkafka);
  // left open, the broker aborts its transaction after transaction.timeout.ms.
  if (p.transactions && !(await p.transactions.whenIdle(budget(0, 0))))
    unfinished.push('producer close (a transactional call was still running)');
  // Flushed above already: the producer's own close only gets what is left.
  else if (!(await p.sink.disconnect(100, budget(0, 500)))) unfinished.push('producer close');
  await p.pool.destroy();
  return { drained, unfinished };
}
