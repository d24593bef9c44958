import pino from 'pino';
import { consumerConfig, FETCH_SETTINGS, type SourceOptions } from '../../../src/source/source.js';

const options = (kafka: Record<string, string> = {}): SourceOptions => ({
  brokers: '127.0.0.1:9092',
  group: 'g',
  topic: 't',
  clientId: 'turbine',
  startFrom: 'earliest',
  kafka,
  logger: pino({ level: 'silent' }),
});

describe('consumerConfig', () => {
  it('batches fetches: the broker answers at 64 KiB or after 10 ms', () => {
    const config = consumerConfig(options(), () => undefined) as unknown as Record<string, unknown>;
    expect(config['fetch.min.bytes']).toBe(65536);
    expect(config['fetch.wait.max.ms']).toBe(10);
    expect(FETCH_SETTINGS).toEqual({ 'fetch.wait.max.ms': 10, 'fetch.min.bytes': 65536 });
  });

  it('lets --kafka properties override the fetch settings', () => {
    const config = consumerConfig(options({ 'fetch.min.bytes': '1', 'fetch.wait.max.ms': '100' }), () => undefined);
    expect((config as unknown as Record<string, unknown>)['fetch.min.bytes']).toBe('1');
    expect((config as unknown as Record<string, unknown>)['fetch.wait.max.ms']).toBe('100');
  });
});
