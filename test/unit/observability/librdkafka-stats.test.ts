/** librdkafka statistics JSON is mapped to bounded gauges (rtt in seconds, queue counts). */
import { Registry } from 'prom-client';
import { recordStats, statsFigures } from '../../../src/observability/librdkafka-stats';
import { createMetrics } from '../../../src/observability/metrics';

const producerStats = {
  type: 'producer',
  msg_cnt: 1234,
  brokers: {
    '127.0.0.1:9092/1': { nodeid: 1, outbuf_cnt: 2, waitresp_cnt: 3, rtt: { avg: 1500, p99: 9000 } },
    GroupCoordinator: { nodeid: -1, outbuf_cnt: 0, waitresp_cnt: 0, rtt: { avg: 0, p99: 0 } },
  },
};

test('producer figures: rtt in seconds, waiting requests, queue; bootstrap entries skipped', () => {
  const f = statsFigures(producerStats, 'producer');
  expect(f.brokers).toEqual([{ broker: '127.0.0.1:9092/1', rttAvgSeconds: 0.0015, rttP99Seconds: 0.009, waiting: 5 }]);
  expect(f.producerQueue).toBe(1234);
  expect(f.fetchQueue).toBeUndefined();
});

test('consumer figures: fetch queue is the shared consumer queue, not a sum over partitions', () => {
  // Forwarded partition queues each report the consumer queue's length (rd_kafka_q_len follows the
  // forward), so 12 partitions over one queue of 10 messages read 10 each: the queue holds 10.
  const partitions = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [String(i), { fetchq_cnt: 10 }]));
  const f = statsFigures({ topics: { t: { partitions: { ...partitions, '-1': { fetchq_cnt: 99 } } } } }, 'consumer');
  expect(f.fetchQueue).toBe(10);
  const uneven = statsFigures(
    { topics: { t: { partitions: { '0': { fetchq_cnt: 10 }, '1': { fetchq_cnt: 5 }, '-1': { fetchq_cnt: 99 } } } } },
    'consumer',
  );
  expect(uneven.fetchQueue).toBe(10);
});

test('recordStats sets the gauges and ignores malformed JSON', async () => {
  const metrics = createMetrics(new Registry(), false);
  recordStats(metrics, 'not json', 'producer');
  recordStats(metrics, JSON.stringify(producerStats), 'producer');
  const text = await metrics.registry.metrics();
  expect(text).toContain('turbine_kafka_producer_queue_messages 1234');
  expect(text).toContain(
    'turbine_kafka_broker_rtt_seconds{client="producer",broker="127.0.0.1:9092/1",stat="p99"} 0.009',
  );
});
