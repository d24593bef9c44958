/** Engine processes' stderr reaches the container's stderr whole line by whole line, tagged with the process. */
import { PassThrough } from 'node:stream';
import { relayLines, tagLine } from '../../../src/supervisor/log-relay.js';

test('adds a process field to JSON lines and a prefix to other lines', () => {
  expect(tagLine('{"level":30,"msg":"engine started"}', 2)).toBe('{"process":2,"level":30,"msg":"engine started"}');
  expect(JSON.parse(tagLine('{}', 0))).toEqual({ process: 0 });
  expect(tagLine('turbine: KAFKA_ADMIN_FAILED: no topic', 1)).toBe('process 1: turbine: KAFKA_ADMIN_FAILED: no topic');
});

test('joins lines split across chunks and writes only whole lines', async () => {
  const stream = new PassThrough();
  const written: string[] = [];
  relayLines(stream, 1, (text) => written.push(text));
  stream.write('{"a":1}\n{"b"');
  stream.write(':2}\n\nplain');
  stream.end(' text');
  await new Promise((r) => setImmediate(r));
  expect(written.join('')).toBe('{"process":1,"a":1}\n{"process":1,"b":2}\nprocess 1: plain text\n');
  expect(written.every((w) => w.endsWith('\n'))).toBe(true);
});
