/**
 * The main thread's cache of writer schemas, by the global id in each record's Confluent header.
 * Before a batch goes to a worker, the pool asks for the schemas of its ids: cached ids answer at
 * once (no promise), unknown ones are fetched from the registry once, however many batches need
 * them. The schema texts then travel with the task, so workers never talk to the registry.
 *
 * A registry error (unreachable, timeout, 5xx, 401) is logged and retried with backoff while the
 * batch waits: a record is never decoded with a guessed schema. An id the registry does not know
 * (404 with error code 40403) is answered as unknown, so its records are dead-lettered as
 * SCHEMA_ID_UNKNOWN; the answer is kept for `unknownTtlMs`, then asked again (ids are assigned
 * as schemas are registered, so an id unknown now may exist later).
 */
import type { WriterSchemas } from '../dispatch/task.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type FetchedSchema, RegistryHttpError, SCHEMA_NOT_FOUND } from './registry-client.js';
import { schemaIdsOf } from './wire-format.js';

export interface WriterSchemaCacheOptions {
  fetch: (id: number) => Promise<FetchedSchema>;
  logger: Pick<Logger, 'warn' | 'info'>;
  retryInitialMs: number;
  retryMaxMs: number;
  /** How long an id the registry did not know is answered as unknown before it is asked again. Default 30 s. */
  unknownTtlMs?: number;
  now?: () => number;
  /** Called once by close(): the registry client's connections are released there. */
  onClose?: () => void;
  /** Each lookup's outcome, and the number of ids being looked up (or retried) after each change. */
  observe?: { request(outcome: LookupOutcome): void; pending(ids: number): void };
}

/** ok: schema cached; failed: retried with backoff; unknown_id: its records are dead-lettered. */
export type LookupOutcome = 'ok' | 'failed' | 'unknown_id';

/** Something that supplies a batch's writer schemas (the pool depends on this, not on the cache). */
export interface WriterSchemaSource {
  schemasFor(records: ReadonlyArray<{ readonly value: Uint8Array | null }>): WriterSchemas | Promise<WriterSchemas>;
  /** The pool is closing: stop retrying and release connections. */
  close(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WriterSchemaCache implements WriterSchemaSource {
  private readonly known = new Map<number, string>();
  /** Ids the registry answered 40403 for, and until when that answer is kept. */
  private readonly unknown = new Map<number, number>();
  private readonly pending = new Map<number, Promise<void>>();
  private readonly unknownTtlMs: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: WriterSchemaCacheOptions) {
    this.unknownTtlMs = options.unknownTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  schemasFor(records: ReadonlyArray<{ readonly value: Uint8Array | null }>): WriterSchemas | Promise<WriterSchemas> {
    const ids = schemaIdsOf(records);
    let missing: number[] | undefined;
    for (const id of ids) {
      if (this.answered(id)) continue;
      if (missing === undefined) missing = [];
      missing.push(id);
    }
    if (missing === undefined) return this.entries(ids);
    return Promise.all(missing.map((id) => this.load(id))).then(() => this.entries(ids));
  }

  /** Stops retrying: fetches still failing then never settle (their batches are not committed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose?.();
  }

  /** Cached schema ids (known and unknown), for tests and the status. */
  get size(): number {
    return this.known.size + this.unknown.size;
  }

  private answered(id: number): boolean {
    if (this.known.has(id)) return true;
    const until = this.unknown.get(id);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.unknown.delete(id);
    return false;
  }

  private entries(ids: number[]): WriterSchemas {
    const out: WriterSchemas = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = [ids[i]!, this.known.get(ids[i]!) ?? null];
    return out;
  }

  private load(id: number): Promise<void> {
    let loading = this.pending.get(id);
    if (!loading) {
      loading = this.fetchWithRetry(id).finally(() => {
        this.pending.delete(id);
        this.options.observe?.pending(this.pending.size);
      });
      this.pending.set(id, loading);
      this.options.observe?.pending(this.pending.size);
    }
    return loading;
  }

  private async fetchWithRetry(id: number): Promise<void> {
    const { retryInitialMs, retryMaxMs, logger } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        const fetched = await this.options.fetch(id);
        if (fetched.schemaType !== 'AVRO')
          logger.warn(
            { schemaId: id, schemaType: fetched.schemaType },
            'writer schema is not Avro; its records fail to decode',
          );
        this.known.set(id, fetched.schema);
        this.options.observe?.request('ok');
        if (attempt > 1) logger.info({ schemaId: id, attempts: attempt }, 'schema registry answered again');
        return;
      } catch (error) {
        if (error instanceof RegistryHttpError && error.errorCode === SCHEMA_NOT_FOUND) {
          this.unknown.set(id, this.now() + this.unknownTtlMs);
          this.options.observe?.request('unknown_id');
          logger.warn(
            { schemaId: id },
            'schema id unknown to the registry; its records are dead-lettered as SCHEMA_ID_UNKNOWN',
          );
          return;
        }
        this.options.observe?.request('failed');
        const retryInMs = Math.min(retryMaxMs, retryInitialMs * 2 ** (attempt - 1));
        logger.warn(
          { schemaId: id, attempt, retryInMs, error: errorMessage(error) },
          'schema registry request failed; the batches needing this schema wait and the request is retried',
        );
        if (this.closed) return new Promise<void>(() => undefined);
        await sleep(Math.max(1, retryInMs));
      }
    }
  }
}
