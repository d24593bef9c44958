/**
 * The messages between the supervisor and its engine processes over Node's IPC channel (JSON).
 * The configuration travels here rather than in argv or the environment, where `ps` and
 * /proc would show its secrets; it was validated once, in the supervisor.
 */
import type { TurbineConfig } from '../config/load.js';

/** What the supervisor can ask an engine process. */
export type Question = 'metrics' | 'health' | 'ready' | 'stats' | 'status' | 'state';

export interface StateQuestion {
  store: string;
  key: string;
  redirected: boolean;
}

export type ToChild =
  /** First message: the process's index and its configuration (its pool share, no HTTP server). */
  | { type: 'init'; index: number; config: TurbineConfig }
  | { type: 'ask'; id: number; question: Question; state?: StateQuestion }
  /** Drain and exit, as a first SIGTERM would. */
  | { type: 'stop' };

export type FromChild =
  /** The engine exists and answers questions from now on. */
  | { type: 'attached' }
  /** The engine started: connected, subscribed, consuming. */
  | { type: 'started' }
  | { type: 'answer'; id: number; value: unknown }
  | { type: 'answer'; id: number; error: string };

export function isFromChild(message: unknown): message is FromChild {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}

export function isToChild(message: unknown): message is ToChild {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}
