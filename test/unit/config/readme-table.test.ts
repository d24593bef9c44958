/** The README's configuration table is the one generated from the options schema. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optionsTable } from '../../../src/config/options-table';

test('README carries the generated configuration table (regenerate: node scripts/docs-tables.js)', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- options:start -->');
  const end = readme.indexOf('<!-- options:end -->');
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  const table = readme.slice(start + '<!-- options:start -->'.length, end).trim();
  expect(table).toBe(optionsTable());
});
