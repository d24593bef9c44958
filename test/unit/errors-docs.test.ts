/** Every error code is documented in docs/errors.md. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/errors';

test('docs/errors.md lists every error code', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  for (const code of Object.keys(ERROR_CODES)) expect(doc).toContain(`\`${code}\``);
});
