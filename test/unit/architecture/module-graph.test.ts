/**
 * The source tree keeps its shape: no import circle between modules under src/ (type-only
 * imports included, since they show a dependency a reader has to follow), no module above
 * about 400 lines, and observability/ never reaches for the engine.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '../../../src');
const MAX_LINES = 400;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a module, resolved to .ts paths under src/. */
function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
    out.push(resolve(dirname(path), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Lines as `wc -l` counts them (a final newline ends the last line, it does not start one). */
const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

const modules = files(SRC);
const graph = new Map(modules.map((m) => [m, importsOf(m)]));
const name = (p: string) => relative(SRC, p);

/** Every cycle found by a depth-first walk, as a list of module names. */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string) => {
    state.set(m, 'open');
    stack.push(m);
    for (const next of graph.get(m) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].map(name));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of modules) if (!state.has(m)) visit(m);
  return found;
}

describe('src/ module graph', () => {
  it('resolves every relative import to a module', () => {
    const missing = [...graph].flatMap(([m, deps]) =>
      deps.filter((d) => !graph.has(d)).map((d) => `${name(m)} → ${d}`),
    );
    expect(missing).toEqual([]);
  });

  it('has no import circle', () => {
    expect(cycles()).toEqual([]);
  });

  it('keeps observability/ free of the engine', () => {
    const engine = join(SRC, 'engine.ts');
    const offenders = modules
      .filter((m) => name(m).startsWith('observability/'))
      .filter((m) => graph.get(m)!.includes(engine))
      .map(name);
    expect(offenders).toEqual([]);
  });

  it(`keeps every module at most ${MAX_LINES} lines`, () => {
    const long = modules
      .map((m) => ({ module: name(m), lines: lineCount(readFileSync(m, 'utf8')) }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('detects a circle when there is one (the check itself works)', () => {
    const a = join(SRC, '__a.ts');
    const b = join(SRC, '__b.ts');
    graph.set(a, [b]);
    graph.set(b, [a]);
    modules.push(a, b);
    try {
      expect(cycles()).toEqual([['__a.ts', '__b.ts', '__a.ts']]);
    } finally {
      graph.delete(a);
      graph.delete(b);
      modules.splice(modules.length - 2, 2);
    }
  });
});
