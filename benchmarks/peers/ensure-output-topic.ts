/**
 * Creates a peer's output topic, if missing, with the input topic's partition count and
 * LogAppendTime timestamps, so every peer (kcat included, which cannot create topics) writes to the
 * same kind of topic.
 * Usage (from run-peer.sh): node dist/benchmarks/peers/ensure-output-topic.js BROKERS INPUT OUTPUT
 */
import { ensureTopics, topicPartitions } from '../../src/admin/topics.js';

async function main(argv: string[]): Promise<void> {
  const [brokers, input, output] = argv;
  if (!brokers || !input || !output) throw new Error('usage: ensure-output-topic BROKERS INPUT OUTPUT');
  const partitions = await topicPartitions(brokers, [input, output]);
  const inputPartitions = partitions.get(input);
  if (inputPartitions === undefined) throw new Error(`input topic ${input} does not exist on ${brokers}`);
  // LogAppendTime, as the benchmark harness creates it: outputs carry the broker's append time, from
  // which the harness counts the outputs inside a peer's timed window (benchmarks/harness/peer-outputs.ts).
  if (!partitions.has(output))
    await ensureTopics(brokers, [
      { name: output, partitions: inputPartitions, config: { 'message.timestamp.type': 'LogAppendTime' } },
    ]);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`[ensure-output-topic] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
