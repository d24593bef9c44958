/**
 * Engine instances of one consumer group, each a real `node bin/turbine.js run` child process,
 * so `kill -9` is a real crash and SIGTERM a real drain. Each instance's logs go to its own file
 * under the run's log directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FleetSpec {
  root: string;
  brokers: string;
  input: string;
  output: string;
  group: string;
  /** The worker module's file under dist/workers (chaos.js, inventory.js). */
  worker: string;
  /** `turbine run` flags beyond brokers, topics, group and worker. */
  flags: string[];
  /** Environment of the engines (their worker threads inherit it). */
  env: Record<string, string>;
  logDir: string;
}

export interface Instance {
  id: number;
  child: ChildProcess;
  /** Set once the runner sent SIGTERM or SIGKILL: the instance is on its way out. */
  stopping: boolean;
  startedAt: number;
  /** When its log last said "partitions assigned": it joined the group and got work then. */
  assignedAt: number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: boolean;
}

/** The engine's log line for a group assignment (src/engine.ts). */
const ASSIGNED = '"msg":"partitions assigned"';

/** How long a SIGTERMed instance may drain before stopAll kills it. */
const STOP_GRACE_MS = 30_000;

export class Fleet {
  private readonly instances: Instance[] = [];
  private nextId = 1;
  /** Graceful exits that were not 0, and exits the runner did not cause. */
  readonly unexpectedExits: string[] = [];

  /** The runner's own record of what it did to the fleet (starts, kills, SIGTERMs), one JSON line each. */
  private readonly events: WriteStream;

  constructor(private readonly spec: FleetSpec) {
    mkdirSync(spec.logDir, { recursive: true });
    this.events = createWriteStream(join(spec.logDir, 'fleet.log'), { flags: 'a' });
  }

  private event(action: string, instance: Instance): void {
    this.events.write(`${JSON.stringify({ time: Date.now(), action, instance: instance.id })}\n`);
  }

  start(): Instance {
    const { spec } = this;
    const id = this.nextId++;
    const log = createWriteStream(join(spec.logDir, `instance-${id}.log`), { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        join(spec.root, 'bin', 'turbine.js'),
        'run',
        '--brokers',
        spec.brokers,
        '--input',
        spec.input,
        '--output',
        spec.output,
        '--group',
        spec.group,
        '--worker',
        join(spec.root, 'dist', 'workers', spec.worker),
        ...spec.flags,
      ],
      { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const instance: Instance = {
      id,
      child,
      stopping: false,
      startedAt: Date.now(),
      assignedAt: undefined,
      done: false,
      exited: new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          instance.done = true;
          // SIGTERM before `turbine run` installed its handler (still starting) ends it by the signal.
          const graceful = instance.stopping && ((signal === null && code === 0) || signal === 'SIGTERM');
          const killed = instance.stopping && signal === 'SIGKILL';
          if (!graceful && !killed) this.unexpectedExits.push(`instance ${id}: code ${code} signal ${signal}`);
          resolve({ code, signal });
        }),
      ),
    };
    const take = (chunk: Buffer) => {
      log.write(chunk);
      if (chunk.includes(ASSIGNED)) instance.assignedAt = Date.now();
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.once('close', () => log.end());
    this.instances.push(instance);
    this.event('start', instance);
    return instance;
  }

  /** Instances not yet told to stop. */
  running(): Instance[] {
    return this.instances.filter((i) => !i.stopping && !i.done);
  }

  /** Running instances that have had a group assignment: killing one takes partitions away. */
  joined(): Instance[] {
    return this.running().filter((i) => i.assignedAt !== undefined);
  }

  /** Joined instances whose last assignment is at least `ms` old: they had time to work on it. */
  settled(ms: number): Instance[] {
    const before = Date.now() - ms;
    return this.joined().filter((i) => i.assignedAt! <= before);
  }

  /** When a running instance last logged a group assignment (ms since the epoch), or 0. */
  lastAssignedAt(): number {
    return Math.max(0, ...this.running().map((i) => i.assignedAt ?? 0));
  }

  /** Processes still alive, including those draining after SIGTERM. */
  alive(): Instance[] {
    return this.instances.filter((i) => !i.done);
  }

  async kill(instance: Instance): Promise<void> {
    instance.stopping = true;
    this.event('kill', instance);
    instance.child.kill('SIGKILL');
    await instance.exited;
  }

  /** Sends SIGTERM; the instance drains, commits and exits on its own. */
  terminate(instance: Instance): void {
    instance.stopping = true;
    this.event('terminate', instance);
    instance.child.kill('SIGTERM');
  }

  async stopAll(): Promise<void> {
    // A second SIGTERM makes `turbine run` exit at once without draining: signal each only once.
    for (const instance of this.alive()) if (!instance.stopping) this.terminate(instance);
    const deadline = Date.now() + STOP_GRACE_MS;
    while (this.alive().length > 0 && Date.now() < deadline) await sleep(100);
    for (const instance of this.alive()) await this.kill(instance);
    this.events.end();
  }
}
