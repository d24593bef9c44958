/**
 * Registry errors at run time are retried, never guessed around: behind a proxy that answers the
 * first schema lookups with 503, the engine waits, retries with backoff and then decodes every
 * record with its real writer schema; nothing is dead-lettered for the outage, and the lookup
 * metrics count the failed tries.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  FIXTURES,
  freshTopics,
  makeEngine,
  produceRecords,
  randomName,
  readTopic,
  waitProcessed,
} from '../../helpers/kafka';
import { avroType, framed, REGISTRY_URL, registerSchema, requireRegistry, schemaText } from '../../helpers/registry';

jest.setTimeout(90_000);

const FAILURES = 3;

/** Forwards to the real registry, except the first FAILURES schema lookups, which get 503. */
async function flakyProxy(): Promise<{ url: string; lookups: () => number; close: () => Promise<void> }> {
  let lookups = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.url?.startsWith('/schemas/ids/') && ++lookups <= FAILURES) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error_code":50301,"message":"down"}');
        return;
      }
      const answer = await fetch(`${REGISTRY_URL}${req.url}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    lookups: () => lookups,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('schema lookups that fail are retried until the registry answers', async () => {
  await requireRegistry();
  const proxy = await flakyProxy();
  const { input, output, drop } = await freshTopics('reg-flaky', 1);
  const id = await registerSchema(`${input}-value`, schemaText('reading-v2.avsc'));
  const type = avroType('reading-v2.avsc');
  const count = 100;
  await produceRecords(input, count, {
    partitions: 1,
    value: (i) => framed(id, type, { id: i, sensor: 's', celsius: 1.5, site: `site-${i}` }),
  });
  const engine = makeEngine({
    input,
    output,
    group: randomName('g'),
    worker: `${FIXTURES}/poison.js`,
    inputFormat: 'avro',
    schemaRegistry: proxy.url,
    retryInitialMs: 20,
    retryMaxMs: 100,
  });
  await engine.start();
  await waitProcessed(engine, count);
  await engine.close();
  await proxy.close();

  expect(proxy.lookups()).toBe(FAILURES + 1);
  const outputs = (await readTopic(output)).map((r) => JSON.parse(r.value!.toString()) as { id: number; site: string });
  expect(outputs).toHaveLength(count);
  expect(outputs.every((o) => o.site === `site-${o.id}`)).toBe(true);
  expect(engine.snapshot().deadLettered).toBe(0);
  // The outage is visible to Prometheus: each failed try counted, nothing left pending.
  const lookups = await engine.metrics.registryLookups.get();
  const byOutcome = Object.fromEntries(lookups.values.map((v) => [v.labels.outcome, v.value]));
  expect(byOutcome).toEqual({ failed: FAILURES, ok: 1 });
  expect((await engine.metrics.registryPendingLookups.get()).values[0]?.value).toBe(0);
  await drop();
});
