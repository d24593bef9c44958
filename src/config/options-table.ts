/**
 * The README's configuration table, generated from the options schema so the two cannot drift
 * (scripts/docs-tables.js writes it; test/unit/config/readme-table.test.ts checks the README).
 */
import { envName, flagName, OPTIONS, type OptionSpec } from './options.js';

function defaultOf(spec: OptionSpec): string {
  if (spec.defaultText) return spec.defaultText;
  const parsed = spec.schema.safeParse(undefined);
  if (parsed.success && parsed.data !== undefined) return JSON.stringify(parsed.data);
  return spec.required ? '(required)' : '(none)';
}

export function optionsTable(): string {
  const rows = ['| Option | Flag | Environment | Default | Meaning |', '|---|---|---|---|---|'];
  for (const [name, spec] of Object.entries(OPTIONS) as Array<[string, OptionSpec]>) {
    const env = name === 'kafka' ? 'TURBINE_KAFKA_*' : envName(name);
    rows.push(
      `| \`${name}\` | \`${flagName(name)}\` | \`${env}\` | \`${defaultOf(spec)}\` | ${spec.doc.replace(/\|/g, '\\|')} |`,
    );
  }
  return rows.join('\n');
}
