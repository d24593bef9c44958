/**
 * Fatal producer errors with an injected producer factory: the sink reports the fatal error
 * once, replaceProducer() drops the old producer's unacknowledged groups, ignores its late
 * reports, and produces later sends on the new producer once it is connected.
 */
import { EventEmitter } from 'node:events';
import type Kafka from 'node-rdkafka';
import { isFatalProducerError } from '../../../src/kafka/error-codes.js';
import { createLogger } from '../../../src/observability/logger.js';
import { type DeliveryGroup, type OutboundMessage, Sink } from '../../../src/sink/sink.js';

class FakeProducer extends EventEmitter {
  produced: OutboundMessage[] = [];
  connected = false;
  disconnected = false;
  connectCallback: ((err: Error | null) => void) | undefined;
  connect(_options: unknown, cb: (err: Error | null) => void): void {
    this.connectCallback = (err) => {
      this.connected = err === null;
      cb(err);
    };
  }
  setPollInterval(): void {}
  produce(_topic: string, _partition: number, _value: Buffer, _key: Buffer, _ts: null, opaque: OutboundMessage): void {
    if (!this.connected) throw new Error('Producer not connected');
    this.produced.push(opaque);
  }
  /** Acknowledges the n-th produced message as librdkafka's delivery report would. */
  ack(n: number): void {
    this.emit('delivery-report', null, { opaque: this.produced[n], topic: 'out', partition: 0, offset: n });
  }
  disconnect(_timeout: number, cb: () => void): void {
    this.disconnected = true;
    cb();
  }
}

function message(group: DeliveryGroup, value: string): OutboundMessage {
  return { topic: 'out', partition: 0, key: null, value: Buffer.from(value), headers: [], group, attempts: 0 };
}

function setup() {
  const producers: FakeProducer[] = [];
  const fatal: unknown[] = [];
  const sink = new Sink({
    brokers: 'unused:9092',
    clientId: 'test',
    kafka: {},
    retryInitialMs: 1,
    retryMaxMs: 1,
    logger: createLogger('silent'),
    onProducerFatal: (err) => fatal.push(err),
    createProducer: () => {
      const p = new FakeProducer();
      producers.push(p);
      return p as unknown as Kafka.Producer;
    },
  });
  return { sink, producers, fatal };
}

async function connected(sink: Sink, producer: FakeProducer, timeoutMs = 1000): Promise<void> {
  const done = sink.connect(timeoutMs);
  producer.connectCallback!(null);
  await done;
}

test('isFatalProducerError recognises ERR__FATAL and isFatal errors only', () => {
  expect(isFatalProducerError({ code: -150, message: 'fatal' })).toBe(true);
  expect(isFatalProducerError({ code: -195, isFatal: true })).toBe(true);
  expect(isFatalProducerError({ code: -195, message: 'transport' })).toBe(false);
  expect(isFatalProducerError(null)).toBe(false);
});

test('a fatal error is reported once; replaceProducer drops unacknowledged groups and produces on a new producer', async () => {
  const { sink, producers, fatal } = setup();
  await connected(sink, producers[0]!);
  const acked: string[] = [];
  const dropped: string[] = [];
  const groupA: DeliveryGroup = { remaining: 1, onAcked: () => acked.push('A'), onDropped: () => dropped.push('A') };
  const groupB: DeliveryGroup = { remaining: 3, onAcked: () => acked.push('B'), onDropped: () => dropped.push('B') };
  sink.send([message(groupA, 'a')]);
  sink.send([message(groupB, 'b1'), message(groupB, 'b2')]);
  producers[0]!.ack(0);
  expect(acked).toEqual(['A']);

  // Non-fatal errors are only logged; the fatal one is reported once however often it repeats.
  producers[0]!.emit('event.error', { code: -195, message: 'broker transport failure' });
  producers[0]!.emit('event.error', { code: -150, message: 'Fatal error: OUT_OF_ORDER_SEQUENCE_NUMBER' });
  producers[0]!.emit('event.error', { code: -150, message: 'again' });
  // node-rdkafka 3.6.1 loses the fatal flag on error events; ERR__FATAL shows on produce() instead.
  producers[0]!.produce = () => {
    throw Object.assign(new Error('Local: Fatal error'), { code: -150 });
  };
  sink.send([message(groupB, 'b3')]);
  await new Promise((r) => setImmediate(r));
  expect(fatal).toHaveLength(1);

  const replaced = sink.replaceProducer(1000);
  expect(producers).toHaveLength(2);
  expect(producers[0]!.disconnected).toBe(true);
  expect(dropped).toEqual(['B']);
  expect(sink.inFlight).toBe(0);

  // A late report of the old producer changes nothing.
  producers[0]!.ack(1);
  expect(acked).toEqual(['A']);

  // Sent while the new producer connects: waits, then goes out in order.
  const groupC: DeliveryGroup = { remaining: 2, onAcked: () => acked.push('C') };
  sink.send([message(groupC, 'c1'), message(groupC, 'c2')]);
  expect(producers[1]!.produced).toEqual([]);
  producers[1]!.connectCallback!(null);
  await replaced;
  await new Promise((r) => setTimeout(r, 20));
  expect(producers[1]!.produced.map((m) => m.value!.toString())).toEqual(['c1', 'c2']);
  producers[1]!.ack(0);
  producers[1]!.ack(1);
  expect(acked).toEqual(['A', 'C']);
  expect(sink.inFlight).toBe(0);
  await sink.disconnect();
});

describe('transactional producer settings', () => {
  function configOf(kafka: Record<string, string>, transactionTimeoutMs?: number): Record<string, unknown> {
    let seen: Record<string, unknown> = {};
    new Sink({
      brokers: 'unused:9092',
      clientId: 'test',
      kafka,
      retryInitialMs: 1,
      retryMaxMs: 1,
      logger: createLogger('silent'),
      transactionalId: 'turbine-g-1',
      ...(transactionTimeoutMs === undefined ? {} : { transactionTimeoutMs }),
      createProducer: (config) => {
        seen = config as Record<string, unknown>;
        return new FakeProducer() as unknown as Kafka.Producer;
      },
    });
    return seen;
  }

  test('sets transaction.timeout.ms (a crashed instance blocks its partitions until it expires)', () => {
    expect(configOf({})).toMatchObject({ 'transactional.id': 'turbine-g-1', 'transaction.timeout.ms': 10_000 });
    expect(configOf({}, 25_000)['transaction.timeout.ms']).toBe(25_000);
  });

  test('leaves a transaction.timeout.ms passed through --kafka alone', () => {
    expect(configOf({ 'transaction.timeout.ms': '30000' }, 25_000)['transaction.timeout.ms']).toBe('30000');
  });
});
