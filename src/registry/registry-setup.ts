/**
 * The schema registry at engine start, on the main thread and before Kafka is touched: the
 * output schema is registered (or looked up, when the same schema is already there) under the
 * TopicNameStrategy subject `<output>-value`, so Avro outputs carry its real id; with Avro input,
 * a writer-schema cache is built for the pool. A registry that cannot be reached, refuses the
 * credentials or rejects the output schema stops the start with a coded error naming the option.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import type { TurbineConfig } from '../config/load.js';
import { errorMessage, TurbineError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { INCOMPATIBLE_SCHEMA, RegistryClient, RegistryHttpError } from './registry-client.js';
import { WriterSchemaCache } from './writer-schemas.js';

export interface RegistrySetup {
  /** The registry's id of outputSchema (outputFormat avro), written in every output's header. */
  outputSchemaId: number | undefined;
  /** Avro input: the writer schemas by id, for the pool to send with each batch. */
  writerSchemas: WriterSchemaCache | undefined;
}

const OPTION = '--schema-registry, TURBINE_SCHEMA_REGISTRY';

/** The TopicNameStrategy subject of a topic's values. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** A readable reason for a failed request; Node's connection errors can have an empty message. */
export function describeRequestError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map((e: unknown) => describeRequestError(e)).join('; ');
  const code = (error as { code?: unknown }).code;
  const message = errorMessage(error);
  if (typeof code === 'string' && !message.includes(code)) return message ? `${code}: ${message}` : code;
  return message;
}

/** The output schema file as compact JSON text, after checking avsc accepts it. */
export function readOutputSchema(path: string): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    avro.Type.forSchema(parsed as avro.Schema);
    return JSON.stringify(parsed);
  } catch (error) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `outputSchema (--output-schema): ${path} is not a readable Avro schema: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Registers `schema` under `subject` (or finds it registered) and returns its global id.
 * 409: the subject's compatibility rule refuses it.
 */
export async function registerSchema(
  client: RegistryClient,
  subject: string,
  schema: string,
  what: string,
): Promise<number> {
  try {
    return await client.register(subject, schema);
  } catch (error) {
    if (error instanceof RegistryHttpError && error.errorCode === INCOMPATIBLE_SCHEMA) {
      throw new TurbineError(
        'SCHEMA_INCOMPATIBLE',
        `${what} is incompatible with the schemas registered under subject ${subject} at ${client.url} (the subject's compatibility rule refuses it): ${error.message}. Make the change compatible (for example give a new field a default), or register it under a new topic.`,
        { cause: error, details: { subject } },
      );
    }
    const why =
      error instanceof RegistryHttpError
        ? `it answered ${error.message}`
        : `it could not be reached: ${describeRequestError(error)}`;
    throw new TurbineError(
      'SCHEMA_REGISTRY_FAILED',
      `Schema registry ${client.url} (${OPTION}): registering ${what} under subject ${subject} failed; ${why}`,
      { cause: error, details: { subject } },
    );
  }
}

/** Checks the registry answers (GET /config) when there is no output schema to register. */
async function checkReachable(client: RegistryClient): Promise<void> {
  try {
    await client.globalConfig();
  } catch (error) {
    const why =
      error instanceof RegistryHttpError
        ? `it answered ${error.message}`
        : `it could not be reached: ${describeRequestError(error)}`;
    throw new TurbineError('SCHEMA_REGISTRY_FAILED', `Schema registry ${client.url} (${OPTION}): ${why}`, {
      cause: error,
    });
  }
}

export async function startRegistry(
  c: TurbineConfig,
  logger: Logger,
  metrics: Pick<Metrics, 'registryLookups' | 'registryPendingLookups'>,
): Promise<RegistrySetup | undefined> {
  if (c.schemaRegistry === '') return undefined;
  const client = new RegistryClient({
    url: c.schemaRegistry,
    username: c.schemaRegistryUsername || undefined,
    password: c.schemaRegistryPassword || undefined,
    caFile: c.schemaRegistryCa || undefined,
    timeoutMs: c.schemaRegistryTimeoutMs,
  });
  let outputSchemaId: number | undefined;
  try {
    if (c.outputFormat === 'avro' && c.outputSchema) {
      const subject = valueSubject(c.output);
      outputSchemaId = await registerSchema(
        client,
        subject,
        readOutputSchema(c.outputSchema),
        `outputSchema ${c.outputSchema}`,
      );
      logger.info({ registry: client.url, subject, schemaId: outputSchemaId }, 'output schema registered');
    } else await checkReachable(client);
  } catch (error) {
    client.close();
    throw error;
  }
  if (c.inputFormat !== 'avro') {
    client.close();
    return { outputSchemaId, writerSchemas: undefined };
  }
  const writerSchemas = new WriterSchemaCache({
    fetch: (id) => client.schemaById(id),
    logger,
    retryInitialMs: c.retryInitialMs,
    retryMaxMs: c.retryMaxMs,
    onClose: () => client.close(),
    observe: {
      request: (outcome) => metrics.registryLookups.inc({ outcome }),
      pending: (ids) => metrics.registryPendingLookups.set(ids),
    },
  });
  logger.info(
    { registry: client.url, readerSchema: c.inputSchema ?? null },
    'avro input decoded with writer schemas from the registry',
  );
  return { outputSchemaId, writerSchemas };
}
