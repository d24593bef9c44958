/**
 * The worker side of keyed state: a batch's view of its own keys' values, moved in with the
 * batch, and the changes it made, returned with the results. Runs inside the worker thread.
 */
import type { StateEntries } from '../src/dispatch/task.js';
import type { KeyedState, StateKey } from '../src/types.js';

/** Thrown for a key outside the batch; the runtime reports its code as data. */
export class StateKeyError extends Error {
  readonly code = 'STATE_KEY_NOT_IN_BATCH' as const;
}

/** Thrown for a value the store's schema refuses; the runtime reports its code as data. */
export class StateValueError extends Error {
  readonly code = 'STATE_VALUE_INVALID' as const;
}

/** Says why a value does not fit the store's schema, or undefined when it does. */
export type StateValueCheck = (value: unknown) => string | undefined;

export function stateKeyOf(key: StateKey): string {
  if (typeof key === 'string') return Buffer.from(key, 'utf8').toString('latin1');
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export class BatchState implements KeyedState {
  private readonly values = new Map<string, string | null>();
  /** Parsed values, so a batch that reads a key several times parses it once. */
  private readonly parsed = new Map<string, unknown>();
  private readonly changed = new Set<string>();

  constructor(
    entries: StateEntries,
    private readonly check?: StateValueCheck,
  ) {
    for (const [key, value] of entries) this.values.set(key, value);
  }

  private keyOf(key: StateKey): string {
    if (key === null || key === undefined) throw new StateKeyError('keyed state needs a record key (got none)');
    const id = stateKeyOf(key);
    if (!this.values.has(id)) {
      const shown = typeof key === 'string' ? key : Buffer.from(id, 'latin1').toString('utf8');
      throw new StateKeyError(`state key "${shown.slice(0, 200)}" is not a key of this batch's records`);
    }
    return id;
  }

  get(key: StateKey): unknown {
    const id = this.keyOf(key);
    if (this.parsed.has(id)) return this.parsed.get(id);
    const text = this.values.get(id) ?? null;
    const value = text === null ? undefined : JSON.parse(text);
    this.parsed.set(id, value);
    return value;
  }

  set(key: StateKey, value: unknown): void {
    const id = this.keyOf(key);
    if (value === undefined) throw new TypeError('state values must be JSON values (use delete() to remove a key)');
    const text = JSON.stringify(value);
    // A later get() returns a copy, as the next batch would see it; the copy is what is checked
    // and stored, so a value JSON cannot carry (NaN, a Buffer) is refused here, not in the changelog.
    const copy: unknown = JSON.parse(text);
    const problem = this.check?.(copy);
    if (problem !== undefined) {
      const shown = typeof key === 'string' ? key : Buffer.from(id, 'latin1').toString('utf8');
      throw new StateValueError(`state value of key "${shown.slice(0, 200)}" ${problem}`);
    }
    this.values.set(id, text);
    this.parsed.set(id, copy);
    this.changed.add(id);
  }

  delete(key: StateKey): void {
    const id = this.keyOf(key);
    this.values.set(id, null);
    this.parsed.set(id, undefined);
    this.changed.add(id);
  }

  changes(): StateEntries {
    const out: StateEntries = [];
    for (const id of this.changed) out.push([id, this.values.get(id) ?? null]);
    return out;
  }
}
