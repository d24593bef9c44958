/**
 * A thin client for the few Confluent Schema Registry endpoints Turbine needs, over node:http(s)
 * rather than a library (docs/schema-registry.md says why): fetch a schema by its global id,
 * register (or look up) a schema under a subject. It runs on the main thread only; workers get
 * schema texts as data. Basic auth and a CA file for TLS come from the engine's config.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface RegistryClientOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://host:8081 or .../apis/ccompat/v7. */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM CA bundle trusted for https URLs (in addition to nothing: it replaces the default CAs). */
  caFile?: string | undefined;
  timeoutMs: number;
}

/** What the registry answered when it answered with an error status. */
export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    /** Confluent's `error_code` (40403 = schema not found, 409 = incompatible), or the status. */
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryHttpError';
  }
}

/** The Confluent error codes Turbine tells apart. */
export const SCHEMA_NOT_FOUND = 40403;
export const INCOMPATIBLE_SCHEMA = 409;

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface FetchedSchema {
  /** The schema text as registered (JSON for Avro). */
  schema: string;
  /** AVRO when the registry leaves it out (Confluent omits it for Avro). */
  schemaType: string;
}

export class RegistryClient {
  private readonly base: URL;
  private readonly agent: http.Agent | https.Agent;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: RegistryClientOptions) {
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.timeoutMs = options.timeoutMs;
    this.authorization =
      options.username === undefined
        ? undefined
        : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ...(options.caFile ? { ca: readFileSync(options.caFile) } : {}) })
        : new http.Agent({ keepAlive: true });
  }

  /** The base URL without credentials, for messages. */
  get url(): string {
    return this.base.origin + this.base.pathname.replace(/\/$/, '');
  }

  /** GET /schemas/ids/{id}: the writer schema of a framed record. */
  async schemaById(id: number): Promise<FetchedSchema> {
    const body = (await this.request('GET', `schemas/ids/${id}`)) as { schema?: unknown; schemaType?: unknown };
    if (typeof body.schema !== 'string') throw new Error(`registry answered schema id ${id} without a schema`);
    return { schema: body.schema, schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO' };
  }

  /**
   * POST /subjects/{subject}/versions: registers the schema, or returns the id of the same
   * schema already registered. The registry checks the subject's compatibility rule first
   * (409 when the schema breaks it).
   */
  async register(subject: string, schema: string): Promise<number> {
    const body = (await this.request('POST', `subjects/${encodeURIComponent(subject)}/versions`, {
      schema,
    })) as { id?: unknown };
    if (typeof body.id !== 'number')
      throw new Error(`registry answered the registration under ${subject} without an id`);
    return body.id;
  }

  /** GET /config: the global compatibility level; used to check the registry answers. */
  async globalConfig(): Promise<unknown> {
    return this.request('GET', 'config');
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: 'GET' | 'POST', path: string, json?: unknown): Promise<unknown> {
    const url = new URL(path, this.base);
    const payload = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            accept: CONTENT_TYPE,
            ...(payload ? { 'content-type': CONTENT_TYPE, 'content-length': payload.length } : {}),
            ...(this.authorization ? { authorization: this.authorization } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let parsed: unknown;
            try {
              parsed = text === '' ? {} : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            if (status >= 200 && status < 300 && parsed !== undefined) {
              resolve(parsed);
              return;
            }
            const body = (parsed ?? {}) as { error_code?: unknown; message?: unknown };
            const errorCode = typeof body.error_code === 'number' ? body.error_code : status;
            const detail = typeof body.message === 'string' ? body.message : text.slice(0, 200);
            reject(new RegistryHttpError(status, errorCode, `${method} ${url.pathname}: HTTP ${status}: ${detail}`));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${url.pathname}: no answer within ${this.timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
