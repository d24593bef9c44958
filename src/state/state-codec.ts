/**
 * How keyed-state values are written to the changelog: JSON text (the default) or Avro binary
 * with the store's schema (stateSchema). In memory and on the way to workers a value is always
 * JSON text; the worker checks a value against the schema when it is set, so encoding here does
 * not fail for values a worker stored.
 */
import type avro from 'avsc';
import { TurbineError } from '../errors.js';
import { loadAvroType } from '../serde/serde.js';

export interface StateCodec {
  /** 'json', or the Avro schema's file. */
  readonly format: string;
  encode(json: string): Buffer;
  decode(value: Buffer): string;
}

export const JSON_STATE: StateCodec = {
  format: 'json',
  encode: (json) => Buffer.from(json, 'utf8'),
  decode: (value) => value.toString('utf8'),
};

/** Avro types a JSON round trip cannot carry: bytes and fixed hold Buffers, which JSON turns into objects. */
const NOT_JSON = new Set(['bytes', 'fixed']);

function binaryTypes(type: avro.Type, seen = new Set<avro.Type>()): string[] {
  if (seen.has(type)) return [];
  seen.add(type);
  const t = type as avro.Type & {
    fields?: Array<{ name: string; type: avro.Type }>;
    itemsType?: avro.Type;
    valuesType?: avro.Type;
    types?: avro.Type[];
  };
  const name = t.typeName;
  if (NOT_JSON.has(name)) return [name];
  const children = [
    ...(t.fields?.map((f) => f.type) ?? []),
    ...(t.itemsType ? [t.itemsType] : []),
    ...(t.valuesType ? [t.valuesType] : []),
    ...(t.types ?? []),
  ];
  return children.flatMap((c) => binaryTypes(c, seen));
}

/**
 * Loads a state schema and checks that its values survive JSON (they cross to workers as JSON
 * text). Errors name the option: they are configuration errors.
 */
export function loadStateType(schemaPath: string): avro.Type {
  let type: avro.Type;
  try {
    type = loadAvroType(schemaPath);
  } catch (error) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `stateSchema (--state-schema): ${schemaPath} is not a readable Avro schema: ${(error as Error).message}`,
      { details: { option: 'stateSchema', path: schemaPath } },
    );
  }
  const binary = binaryTypes(type);
  if (binary.length > 0) {
    throw new TurbineError(
      'CONFIG_INVALID',
      `stateSchema (--state-schema): ${schemaPath} uses ${[...new Set(binary)].join(' and ')}, which JSON cannot carry; state values reach workers as JSON, so use string (base64) instead`,
      { details: { option: 'stateSchema', path: schemaPath } },
    );
  }
  return type;
}

/** The changelog codec of a store: Avro binary (no framing) when a schema is given, else JSON. */
export function stateCodec(schemaPath: string): StateCodec {
  if (schemaPath === '') return JSON_STATE;
  const type = loadStateType(schemaPath);
  return {
    format: schemaPath,
    encode: (json) => type.toBuffer(JSON.parse(json)),
    decode: (value) => JSON.stringify(type.fromBuffer(value)),
  };
}

/**
 * Why a value does not fit the schema, in a sentence naming the offending fields
 * (avsc's isValid reports each invalid path through its error hook).
 */
export function stateValueProblems(type: avro.Type, value: unknown): string | undefined {
  const paths: string[] = [];
  const valid = type.isValid(value, {
    errorHook: (path: string[], got: unknown) => {
      paths.push(`${path.length > 0 ? path.join('.') : '(value)'} = ${JSON.stringify(got) ?? String(got)}`);
    },
  });
  return valid ? undefined : `does not match the state schema: ${paths.join(', ')}`;
}
