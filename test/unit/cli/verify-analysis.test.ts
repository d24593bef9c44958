/**
 * The verifier's pure analysis: lost inputs, duplicates from replays, and order violations,
 * which are only observable inside one output partition.
 */
import { analyse, type InputRef, type OutputRef } from '../../../src/cli/verify-analysis';

const TOPIC = 'in';

function inputsOf(partition: number, count: number, keyOf: (offset: number) => string | null = () => null): InputRef[] {
  return Array.from({ length: count }, (_, offset) => ({ partition, offset, key: keyOf(offset) }));
}

function out(
  outputPartition: number,
  sourcePartition: number,
  sourceOffset: number,
  key: string | null = null,
): OutputRef {
  return { outputPartition, sourceTopic: TOPIC, sourcePartition, sourceOffset, key };
}

describe('analyse', () => {
  it('reports nothing when every input has exactly one output in order', () => {
    const inputs = inputsOf(0, 5);
    const outputs = inputs.map((input) => out(0, 0, input.offset));
    expect(analyse(inputs, outputs, 'partition', { inputTopic: TOPIC })).toMatchObject({
      inputs: 5,
      outputs: 5,
      lost: 0,
      duplicates: 0,
      orderViolations: 0,
      unmatched: 0,
      withoutLineage: 0,
    });
  });

  it('counts inputs without an output as lost and samples them', () => {
    const inputs = [...inputsOf(0, 4), ...inputsOf(1, 2)];
    const outputs = [out(0, 0, 0), out(0, 0, 2), out(1, 1, 0)];
    const report = analyse(inputs, outputs, 'partition', { inputTopic: TOPIC });
    expect(report.lost).toBe(3);
    expect(report.lostSamples).toEqual([
      { partition: 0, offset: 1 },
      { partition: 0, offset: 3 },
      { partition: 1, offset: 1 },
    ]);
    expect(report.orderViolations).toBe(0);
  });

  it('counts a replay after a crash as duplicates, not as order violations', () => {
    const inputs = inputsOf(0, 6);
    // Processed 0..4, crashed before committing past 2, restarted from 3: 3 and 4 are emitted again.
    const sources = [0, 1, 2, 3, 4, 3, 4, 5];
    const report = analyse(
      inputs,
      sources.map((offset) => out(0, 0, offset)),
      'partition',
      { inputTopic: TOPIC },
    );
    expect(report).toMatchObject({ outputs: 8, lost: 0, duplicates: 2, orderViolations: 0 });
  });

  it('reports a first output that comes after a later source offset as an order violation', () => {
    const inputs = inputsOf(0, 4);
    const report = analyse(inputs, [out(0, 0, 0), out(0, 0, 2), out(0, 0, 1), out(0, 0, 3)], 'partition', {
      inputTopic: TOPIC,
    });
    expect(report.orderViolations).toBe(1);
    expect(report.violationSamples).toEqual([
      { outputPartition: 0, sourcePartition: 0, sourceOffset: 1, afterSourceOffset: 2 },
    ]);
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
  });

  it('accepts source partitions interleaved in one output partition when each is in order', () => {
    const inputs = [...inputsOf(0, 3), ...inputsOf(1, 3)];
    const outputs = [out(0, 1, 0), out(0, 0, 0), out(0, 0, 1), out(0, 1, 1), out(0, 1, 2), out(0, 0, 2)];
    expect(analyse(inputs, outputs, 'partition', { inputTopic: TOPIC })).toMatchObject({
      lost: 0,
      duplicates: 0,
      orderViolations: 0,
    });
  });

  it('does not compare order across output partitions', () => {
    const inputs = inputsOf(0, 4);
    // Offsets 2 and 3 went to output partition 1 and were read before partition 0: no violation.
    const outputs = [out(1, 0, 2), out(1, 0, 3), out(0, 0, 0), out(0, 0, 1)];
    expect(analyse(inputs, outputs, 'partition', { inputTopic: TOPIC }).orderViolations).toBe(0);
  });

  it('in key mode accepts keys that interleave out of offset order while each key stays ordered', () => {
    const keyOf = (offset: number) => (offset % 2 === 0 ? 'a' : 'b');
    const inputs = inputsOf(0, 6, keyOf);
    // Key a: 0, 2, 4; key b: 1, 3, 5. Key b ran ahead of key a.
    const outputs = [1, 3, 0, 5, 2, 4].map((offset) => out(0, 0, offset, keyOf(offset)));
    expect(analyse(inputs, outputs, 'key', { inputTopic: TOPIC })).toMatchObject({ lost: 0, orderViolations: 0 });
    // The same outputs break partition order.
    expect(analyse(inputs, outputs, 'partition', { inputTopic: TOPIC }).orderViolations).toBeGreaterThan(0);
  });

  it('in key mode reports a key whose own records come out of order', () => {
    const keyOf = (offset: number) => (offset % 2 === 0 ? 'a' : 'b');
    const inputs = inputsOf(0, 4, keyOf);
    const outputs = [2, 0, 1, 3].map((offset) => out(0, 0, offset, keyOf(offset)));
    const report = analyse(inputs, outputs, 'key', { inputTopic: TOPIC });
    expect(report.orderViolations).toBe(1);
    expect(report.violationSamples[0]).toMatchObject({ sourceOffset: 0, afterSourceOffset: 2, key: 'a' });
  });

  it('keeps outputs of other topics and without lineage apart from the inputs', () => {
    const inputs = inputsOf(0, 2);
    const outputs: OutputRef[] = [
      out(0, 0, 0),
      out(0, 0, 1),
      { outputPartition: 0, sourceTopic: 'elsewhere', sourcePartition: 0, sourceOffset: 0, key: null },
      { outputPartition: 0, sourceTopic: '', sourcePartition: Number.NaN, sourceOffset: Number.NaN, key: null },
    ];
    expect(analyse(inputs, outputs, 'partition', { inputTopic: TOPIC })).toMatchObject({
      outputs: 4,
      lost: 0,
      duplicates: 0,
      unmatched: 1,
      withoutLineage: 1,
    });
  });

  it('counts inputs a dead letter names as dead-lettered, not lost, when dead letters are read', () => {
    const inputs = inputsOf(0, 5);
    const outputs = [out(0, 0, 0), out(0, 0, 2), out(0, 0, 4)];
    // 1 was dead-lettered; 3 has neither; a dead letter for 2 (which also has an output) and one
    // from another topic change nothing.
    const deadLetters = [out(0, 0, 1), out(0, 0, 2), { ...out(0, 0, 3), sourceTopic: 'elsewhere' }];
    const report = analyse(inputs, outputs, 'partition', { inputTopic: TOPIC, deadLetters });
    expect(report).toMatchObject({ lost: 1, deadLettered: 1, duplicates: 0, orderViolations: 0 });
    expect(report.lostSamples).toEqual([{ partition: 0, offset: 3 }]);
    // Without dead letters read, both count as lost and the field is absent.
    const without = analyse(inputs, outputs, 'partition', { inputTopic: TOPIC });
    expect(without.lost).toBe(2);
    expect(without).not.toHaveProperty('deadLettered');
  });
});
