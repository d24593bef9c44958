/**
 * The chaos suite's own broker, driven through scripts/kafka.sh with its own home directory and
 * ports, so a scenario can stop and start it. It refuses the default broker (port 9092 or the
 * default .kafka home), which other work may share.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ChaosBroker {
  homeDir: string;
  port: number;
  controllerPort: number;
}

export const DEFAULT_BROKER_PORT = 9192;
export const DEFAULT_CONTROLLER_PORT = 9193;

/** The broker from KAFKA_HOME_DIR, KAFKA_PORT and KAFKA_CONTROLLER_PORT, defaulting to .kafka-chaos on 9192/9193. */
export function chaosBroker(root: string, env: NodeJS.ProcessEnv = process.env): ChaosBroker {
  const broker = {
    homeDir: env.KAFKA_HOME_DIR ?? join(root, '.kafka-chaos'),
    port: Number(env.KAFKA_PORT ?? DEFAULT_BROKER_PORT),
    controllerPort: Number(env.KAFKA_CONTROLLER_PORT ?? DEFAULT_CONTROLLER_PORT),
  };
  if (broker.port === 9092 || broker.homeDir.replace(/\/+$/, '') === join(root, '.kafka')) {
    throw new Error(
      'chaos: refusing to drive the default broker (port 9092 / .kafka); set KAFKA_PORT and KAFKA_HOME_DIR',
    );
  }
  return broker;
}

export function brokerAddress(broker: ChaosBroker): string {
  return `127.0.0.1:${broker.port}`;
}

async function kafkaScript(root: string, broker: ChaosBroker, command: 'up' | 'down' | 'status'): Promise<void> {
  await run('bash', [join(root, 'scripts', 'kafka.sh'), command], {
    env: {
      ...process.env,
      KAFKA_HOME_DIR: broker.homeDir,
      KAFKA_PORT: String(broker.port),
      KAFKA_CONTROLLER_PORT: String(broker.controllerPort),
    },
  });
}

export const brokerUp = (root: string, broker: ChaosBroker) => kafkaScript(root, broker, 'up');
export const brokerDown = (root: string, broker: ChaosBroker) => kafkaScript(root, broker, 'down');

export async function brokerRunning(root: string, broker: ChaosBroker): Promise<boolean> {
  try {
    await kafkaScript(root, broker, 'status');
    return true;
  } catch {
    return false;
  }
}
