/**
 * The supervisor's handle on one engine process: forks it (child.ts), sends it its
 * configuration, relays its stderr, asks it questions over IPC with a timeout, and reports its
 * `started` and `exit`. `child_process.fork` of a dedicated entry rather than node:cluster:
 * cluster's reason to exist is sharing a listening socket, which these processes must not do
 * (only the supervisor serves HTTP), and its re-run of the CLI would parse argv again in every
 * process instead of taking the configuration validated once.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { TurbineConfig } from '../config/load.js';
import { threadpoolEnv } from '../config/threadpool.js';
import { type FromChild, isFromChild, type Question, type StateQuestion, type ToChild } from './ipc.js';
import { relayLines } from './log-relay.js';

export interface ChildHandleOptions {
  index: number;
  /** The child entry module (dist/src/supervisor/child.js). */
  module: string;
  config: TurbineConfig;
  /** Where the process's tagged stderr lines go (the supervisor's stderr). */
  write: (text: string) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Events: `started` (the engine is consuming), `exit` (code, signal) once the process has
 * exited and its stderr is read to the end.
 */
export class ChildHandle extends EventEmitter {
  readonly startedAt = Date.now();
  /** The engine exists and answers questions. */
  attached = false;
  /** The engine reported it started. */
  started = false;
  exited = false;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(readonly options: ChildHandleOptions) {
    super();
    this.child = fork(options.module, [], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, ...threadpoolEnv(process.env, options.config.poolSize) },
      serialization: 'json',
      // A process group of its own: a signal sent to the supervisor's group (Ctrl-C in a terminal,
      // `timeout`, `kill -- -PGID`) reaches the supervisor only, which tells each process itself.
      // Without it a process could take the group's signal and the supervisor's forwarded one
      // for two signals, and exit without draining.
      detached: true,
    });
    relayLines(this.child.stderr!, options.index, options.write);
    this.child.on('message', (message) => this.onMessage(message));
    this.child.once('close', (code, signal) => this.onExit(code, signal));
    // A failed fork reports only 'error'; a failed send after the process died also lands here.
    this.child.on('error', (error) => {
      if (this.child.pid === undefined) this.onExit(null, null);
      else this.emit('channelError', error);
    });
    this.send({ type: 'init', index: options.index, config: options.config });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the engine; rejects when it does not answer within `timeoutMs`, or is not attached. */
  ask(question: Question, timeoutMs: number, state?: StateQuestion): Promise<unknown> {
    if (!this.attached || this.exited)
      return Promise.reject(new Error(`process ${this.options.index} is not attached`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`process ${this.options.index} did not answer ${question} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ type: 'ask', id, question, ...(state ? { state } : {}) });
    });
  }

  /** Asks the engine to drain and exit, as a first SIGTERM would. */
  stop(): void {
    this.send({ type: 'stop' });
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  private send(message: ToChild): void {
    if (!this.child.connected) return;
    // The callback swallows a send that meets a closing channel: 'close' reports the exit.
    this.child.send(message, (error) => {
      if (error) this.emit('channelError', error);
    });
  }

  private onMessage(message: unknown): void {
    if (!isFromChild(message)) return;
    const m = message as FromChild;
    if (m.type === 'attached') this.attached = true;
    else if (m.type === 'started') {
      this.started = true;
      this.emit('started');
    } else if (m.type === 'answer') {
      const pending = this.pending.get(m.id);
      if (!pending) return;
      this.pending.delete(m.id);
      clearTimeout(pending.timer);
      if ('error' in m) pending.reject(new Error(m.error));
      else pending.resolve(m.value);
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`process ${this.options.index} exited`));
    }
    this.pending.clear();
    this.emit('exit', code, signal);
  }
}
