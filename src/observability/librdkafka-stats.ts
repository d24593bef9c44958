/**
 * Maps librdkafka's statistics JSON (emitted every statistics.interval.ms, see librdkafka's
 * STATISTICS.md) to Turbine's gauges. Only bounded labels: client kind and broker name.
 */
import type { Metrics } from './metrics.js';

interface BrokerStats {
  nodeid?: number;
  outbuf_cnt?: number;
  waitresp_cnt?: number;
  rtt?: { avg?: number; p99?: number };
}

export interface LibrdkafkaStats {
  type?: string;
  msg_cnt?: number;
  brokers?: Record<string, BrokerStats>;
  topics?: Record<string, { partitions?: Record<string, { fetchq_cnt?: number }> }>;
}

export interface StatsFigures {
  client: 'consumer' | 'producer';
  brokers: Array<{ broker: string; rttAvgSeconds: number; rttP99Seconds: number; waiting: number }>;
  producerQueue?: number;
  fetchQueue?: number;
}

/** Pure: extracts the figures Turbine exports. librdkafka reports rtt in microseconds. */
export function statsFigures(stats: LibrdkafkaStats, client: 'consumer' | 'producer'): StatsFigures {
  const brokers: StatsFigures['brokers'] = [];
  for (const [name, b] of Object.entries(stats.brokers ?? {})) {
    // Bootstrap and controller-less entries have nodeid -1 and no traffic worth reporting.
    if ((b.nodeid ?? -1) < 0) continue;
    brokers.push({
      broker: name,
      rttAvgSeconds: (b.rtt?.avg ?? 0) / 1e6,
      rttP99Seconds: (b.rtt?.p99 ?? 0) / 1e6,
      waiting: (b.outbuf_cnt ?? 0) + (b.waitresp_cnt ?? 0),
    });
  }
  const out: StatsFigures = { client, brokers };
  if (client === 'producer') out.producerQueue = stats.msg_cnt ?? 0;
  else {
    // The high-level consumer forwards every partition's fetch queue to its one consumer queue,
    // and librdkafka's fetchq_cnt of a forwarded queue is the length of the queue it forwards to
    // (rd_kafka_q_len): each partition reports the shared queue, so summing counted it once per
    // partition (12× here). The largest is the shared queue's length.
    let fetch = 0;
    for (const topic of Object.values(stats.topics ?? {})) {
      for (const [id, p] of Object.entries(topic.partitions ?? {}))
        if (id !== '-1') fetch = Math.max(fetch, p.fetchq_cnt ?? 0);
    }
    out.fetchQueue = fetch;
  }
  return out;
}

export function recordStats(metrics: Metrics, json: string, client: 'consumer' | 'producer'): void {
  let parsed: LibrdkafkaStats;
  try {
    parsed = JSON.parse(json) as LibrdkafkaStats;
  } catch {
    return;
  }
  const f = statsFigures(parsed, client);
  for (const b of f.brokers) {
    metrics.brokerRtt.set({ client, broker: b.broker, stat: 'avg' }, b.rttAvgSeconds);
    metrics.brokerRtt.set({ client, broker: b.broker, stat: 'p99' }, b.rttP99Seconds);
    metrics.brokerOutbuf.set({ client, broker: b.broker }, b.waiting);
  }
  if (f.producerQueue !== undefined) metrics.producerQueue.set(f.producerQueue);
  if (f.fetchQueue !== undefined) metrics.consumerFetchQueue.set(f.fetchQueue);
}
