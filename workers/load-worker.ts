/**
 * Loads a user worker module inside a worker thread. TypeScript modules are compiled on load
 * through tsx's CommonJS hook; ES modules are not supported by require() on Node 20, so a .mjs
 * worker must be pre-bundled to CommonJS (documented in docs/workers.md).
 */
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { WorkerFunction } from '../src/types.js';

let tsRegistered = false;

export function loadWorkerFunction(path: string): WorkerFunction {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`worker module not found: ${full}`);
  if (['.ts', '.cts', '.mts'].includes(extname(full)) && !tsRegistered) {
    // tsx registers a require hook that compiles TypeScript with esbuild.
    const api = require('tsx/cjs/api') as { register: () => unknown };
    api.register();
    tsRegistered = true;
  }
  const loaded = require(full) as { default?: unknown } | ((...args: unknown[]) => unknown);
  const fn = typeof loaded === 'function' ? loaded : loaded?.default;
  if (typeof fn !== 'function') {
    throw new Error(`worker module ${full} must export a function (default export or module.exports)`);
  }
  return fn as WorkerFunction;
}
