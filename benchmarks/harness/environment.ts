/**
 * What a benchmark ran on: printed first and written at the top of RESULTS.md.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import Kafka from 'node-rdkafka';
import { ROOT } from './processes.js';
import type { EnvironmentInfo } from './report.js';

export function gitSha(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

function kafkaVersion(): string {
  try {
    const pom = readFileSync(join(ROOT, 'scripts', 'kafka', 'pom.xml'), 'utf8');
    const version = /<kafka.version>(.*)<\/kafka.version>/.exec(pom)?.[1];
    return `Apache Kafka ${version ?? '?'} (single-node KRaft from scripts/kafka.sh, version from scripts/kafka/pom.xml)`;
  } catch {
    return 'unknown';
  }
}

export function environment(): EnvironmentInfo {
  const cores = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cpuCount: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kafka: kafkaVersion(),
    librdkafka: `${Kafka.librdkafkaVersion} (node-rdkafka ${(require('node-rdkafka/package.json') as { version: string }).version})`,
    git: gitSha(),
    loadAverage: (loadavg()[0] ?? 0) / Math.max(1, cores.length),
  };
}
