/** The status page is one self-contained document: no external assets, and its script parses. */
import { Script } from 'node:vm';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../../../src/observability/status-page';

test('loads nothing from elsewhere', () => {
  expect(STATUS_PAGE_HTML).not.toMatch(/\bsrc=/);
  expect(STATUS_PAGE_HTML).not.toMatch(/https?:\/\//);
  expect(STATUS_PAGE_HTML).not.toMatch(/@import|url\(/);
  expect(STATUS_PAGE_CSP).toContain("default-src 'none'");
  expect(STATUS_PAGE_CSP).toContain("connect-src 'self'");
});

test('its inline script is valid JavaScript that polls status.json', () => {
  const script = /<script>([\s\S]*)<\/script>/.exec(STATUS_PAGE_HTML)?.[1] ?? '';
  expect(script).toContain("fetch('status.json'");
  expect(() => new Script(script)).not.toThrow();
});

test('every element the script updates exists in the page', () => {
  const script = /<script>([\s\S]*)<\/script>/.exec(STATUS_PAGE_HTML)?.[1] ?? '';
  const ids = [...script.matchAll(/(?:\$|show|bar)\('([a-z-]+)'/g)].map((m) => m[1]);
  expect(ids.length).toBeGreaterThan(10);
  for (const id of new Set(ids)) expect(STATUS_PAGE_HTML).toContain(`id="${id}"`);
});
