/**
 * `turbine run --processes N` (N > 1): one supervisor process runs N engine processes in the
 * same consumer group, each with its share of the pool's threads and its own Kafka clients, so
 * the container has N main threads for Kafka I/O instead of one (docs/scaling.md). Kafka's group
 * spreads the partitions; nothing else is shared. The supervisor serves the one HTTP port
 * (endpoints.ts), restarts a process that exits without being asked to (restart-policy.ts),
 * and on SIGTERM/SIGINT has every process drain. Exit codes: 0 when every process drained,
 * 1 when one did not (or was down after a crash), or when one failed to start at all (its
 * error is the others' too: a missing input topic, an unloadable worker module). A second
 * signal ends every process at once, by that signal.
 */
import { join } from 'node:path';
import { BACKSTOP_GRACE_MS, exitBySignal } from '../cli/run-engine.js';
import type { TurbineConfig } from '../config/load.js';
import { poolShares } from '../config/processes.js';
import { errorMessage } from '../errors.js';
import { type HttpServer, serveHttp } from '../observability/http-server.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { RecentEvents } from '../observability/recent-events.js';
import { createSupervisorMetrics } from '../observability/supervisor-metrics.js';
import { ChildHandle } from './child-handle.js';
import { ProcessFigures, type SupervisedProcess, type SupervisorView, supervisorEndpoints } from './endpoints.js';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';

/**
 * Beyond the processes' own backstop (shutdownTimeoutMs + BACKSTOP_GRACE_MS, whose
 * process.exit() can itself wait on a librdkafka thread): when they are killed. Small, so the
 * whole stop stays within a grace period of shutdownTimeoutMs + 15 s (45 s in deploy/).
 */
const STOP_MARGIN_MS = 2_000;

export interface SupervisorOptions {
  /** The engine process entry; defaults to the compiled child.js next to this module. */
  childModule?: string;
  restartPolicy?: RestartPolicyOptions;
}

class Slot implements SupervisedProcess {
  handle: ChildHandle | undefined;
  restarts = 0;
  lastExit: SupervisedProcess['lastExit'] = null;
  /** Whether any of its runs reported its engine started. */
  everStarted = false;
  restartTimer: NodeJS.Timeout | undefined;
  /** How it exited after the supervisor asked it to stop. */
  stopExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly figures = new ProcessFigures();
  readonly policy: RestartPolicy;

  constructor(
    readonly index: number,
    readonly threads: number,
    policy: RestartPolicyOptions,
  ) {
    this.policy = new RestartPolicy(policy);
  }
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null) =>
  signal ? `signal ${signal}` : `exit code ${code}`;

export class Supervisor implements SupervisorView {
  readonly processes: Slot[];
  readonly metrics = createSupervisorMetrics();
  stopping = false;
  private readonly recent = new RecentEvents(20);
  private readonly module: string;
  private http: HttpServer | undefined;
  private signals = 0;
  private failure: string | undefined;
  private backstop: NodeJS.Timeout | undefined;
  private finished = false;
  private resolveExit: (code: number) => void = () => undefined;

  constructor(
    readonly config: TurbineConfig,
    private readonly logger: Logger,
    options: SupervisorOptions = {},
  ) {
    this.module = options.childModule ?? join(__dirname, 'child.js');
    const shares = poolShares(config.poolSize, config.processes);
    this.processes = shares.map((threads, i) => new Slot(i, threads, options.restartPolicy ?? DEFAULT_RESTART_POLICY));
  }

  events() {
    return this.recent.newestFirst();
  }

  /** Starts the HTTP server and the processes; resolves the exit code once all have ended. */
  async run(): Promise<number> {
    const { config, logger } = this;
    const exited = new Promise<number>((resolve) => {
      this.resolveExit = resolve;
    });
    const threads = this.processes.map((p) => p.threads);
    logger.info(
      { processes: config.processes, poolSize: config.poolSize, threadsPerProcess: threads },
      'supervisor starting engine processes',
    );
    if (config.poolSize < config.processes)
      logger.warn(
        { poolSize: config.poolSize, processes: config.processes },
        'poolSize is below processes: each process gets 1 worker thread',
      );
    process.on('SIGTERM', () => this.onSignal('SIGTERM'));
    process.on('SIGINT', () => this.onSignal('SIGINT'));
    if (config.metricsPort > 0) {
      this.http = await serveHttp(supervisorEndpoints(this), config.metricsHost, config.metricsPort);
      logger.info({ port: this.http.port }, 'metrics and health endpoints listening (all engine processes)');
    }
    for (const slot of this.processes) this.launch(slot);
    return exited;
  }

  private launch(slot: Slot): void {
    const config = { ...this.config, processes: 1, poolSize: slot.threads, metricsPort: 0 };
    const write = (text: string) => void process.stderr.write(text);
    const handle = new ChildHandle({ index: slot.index, module: this.module, config, write });
    slot.handle = handle;
    this.metrics.children.set(this.alive());
    handle.once('started', () => {
      slot.everStarted = true;
    });
    handle.on('channelError', (error: unknown) =>
      this.logger.debug({ process: slot.index, err: errorMessage(error) }, 'engine process channel error'),
    );
    handle.once('exit', (code: number | null, signal: NodeJS.Signals | null) =>
      this.onExit(slot, handle, code, signal),
    );
  }

  private alive(): number {
    return this.processes.filter((p) => p.handle).length;
  }

  private onExit(slot: Slot, handle: ChildHandle, code: number | null, signal: NodeJS.Signals | null): void {
    slot.handle = undefined;
    slot.lastExit = { code, signal, time: Date.now() };
    this.metrics.children.set(this.alive());
    const fields = { process: slot.index, pid: handle.pid, exitCode: code, signal };
    if (this.stopping) {
      slot.stopExit = { code, signal };
      this.logger.info(fields, `engine process ended (${describeExit(code, signal)})`);
      this.finishIfDone();
      return;
    }
    if (!slot.everStarted && slot.restarts === 0 && signal === null && code !== 0) {
      // Its first run ended before its engine started, by its own decision: the others meet the same.
      this.failure = `process ${slot.index} failed to start (${describeExit(code, signal)})`;
      this.logger.error(fields, 'engine process failed to start; stopping the others');
      this.stop();
      return;
    }
    slot.figures.carry();
    const ranMs = Date.now() - handle.startedAt;
    const delayMs = slot.policy.onCrash(ranMs);
    this.logger.error(
      { ...fields, ranMs, restart: slot.restarts + 1, restartInMs: delayMs },
      `engine process exited without being asked to (${describeExit(code, signal)}); restarting it`,
    );
    this.recent.push({
      time: Date.now(),
      kind: 'error',
      message: `process ${slot.index} (pid ${handle.pid}) exited (${describeExit(code, signal)}); restart in ${delayMs / 1000} s`,
    });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stopping) return;
      slot.restarts++;
      this.metrics.childRestarts.inc({ process: String(slot.index) });
      this.launch(slot);
      const pid = slot.handle?.pid;
      this.logger.info({ process: slot.index, pid, restarts: slot.restarts }, 'engine process restarted');
      this.recent.push({ time: Date.now(), kind: 'started', message: `process ${slot.index} restarted (pid ${pid})` });
    }, delayMs);
  }

  private onSignal(signal: NodeJS.Signals): void {
    this.signals++;
    if (this.signals === 1) {
      this.logger.info({ signal }, 'signal received; draining every engine process');
      this.stop();
      return;
    }
    // Written synchronously: the process ends right after.
    createLogger(this.config.logLevel, 'turbine', true).warn(
      { signal },
      'second signal: ending every engine process at once, without drain',
    );
    // Each process has started its drain, so this signal is its second too: it exits at once.
    for (const slot of this.processes) slot.handle?.kill(signal);
    exitBySignal(signal);
  }

  /** Asks every process to drain and exit; a process waiting for its restart stays down. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const slot of this.processes) {
      clearTimeout(slot.restartTimer);
      slot.handle?.stop();
    }
    // The processes bound their own drain; this catches one that does not end (SIGKILL).
    const deadlineMs = this.config.shutdownTimeoutMs + BACKSTOP_GRACE_MS + STOP_MARGIN_MS;
    this.backstop = setTimeout(() => {
      const left = this.processes.filter((p) => p.handle).map((p) => p.index);
      this.logger.error(
        { processes: left, deadlineMs },
        'engine processes did not end after the deadline; killing them',
      );
      for (const slot of this.processes) slot.handle?.kill('SIGKILL');
    }, deadlineMs);
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.finished || !this.stopping || this.processes.some((p) => p.handle)) return;
    this.finished = true;
    clearTimeout(this.backstop);
    const undrained = this.processes
      .filter((p) => p.stopExit?.code !== 0)
      .map((p) =>
        p.stopExit
          ? `${p.index} (${describeExit(p.stopExit.code, p.stopExit.signal)})`
          : `${p.index} (down: it had exited without being asked to)`,
      );
    let code = 0;
    if (this.failure) {
      code = 1;
      this.logger.error({ failure: this.failure }, `supervisor stopped: ${this.failure}`);
    } else if (undrained.length > 0) {
      code = 1;
      this.logger.error({ undrained }, `engine processes did not drain: ${undrained.join(', ')}`);
    } else this.logger.info({ processes: this.processes.length }, 'every engine process drained');
    const close = this.http ? this.http.close() : Promise.resolve();
    void close.then(() => this.resolveExit(code));
  }
}

export function runSupervisor(config: TurbineConfig, logger: Logger, options: SupervisorOptions = {}): Promise<number> {
  return new Supervisor(config, logger, options).run();
}
