/**
 * The pure part of `turbine verify`: given the records of an input topic and the records of an
 * output topic (with their lineage headers), count lost records, duplicates and order violations.
 *
 * The verifier is meant for workers that emit exactly one output per input (like `spin`):
 * - lost: input records with no output naming them as source (nor, when the dead-letter topic is
 *   read, a dead letter: those count as deadLettered);
 * - duplicates: outputs − distinct sources that have outputs (a replay after a crash re-emits
 *   outputs for records processed but not yet committed: at-least-once allows this);
 * - order violations: order is only observable inside one output partition, so each output
 *   partition is walked in offset order, tracking per ordered stream (a source partition, or a
 *   source partition and key in key mode) the highest source offset whose first output was seen
 *   there. A first output with a lower source offset is a violation; a repeated output (a replay)
 *   is a duplicate, not a violation.
 */

export type VerifyOrdering = 'partition' | 'key';

/** One record of the input topic. `key` is only used in key mode. */
export interface InputRef {
  partition: number;
  offset: number;
  key: string | null;
}

/** One record of the output topic, in the order read from its partition. */
export interface OutputRef {
  outputPartition: number;
  /** Lineage headers turbine.source.topic / .partition / .offset; '' or NaN when absent. */
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  key: string | null;
}

export interface VerifyReport {
  ordering: VerifyOrdering;
  inputs: number;
  outputs: number;
  lost: number;
  /**
   * With dead letters read (`turbine verify --dead-letter`): inputs with no output that a dead
   * letter names as its source. They are accounted for, so they do not count in `lost`.
   */
  deadLettered?: number;
  duplicates: number;
  orderViolations: number;
  /** Outputs whose source is not among the inputs (another topic, or beyond the inputs read). */
  unmatched: number;
  /** Outputs without usable lineage headers; they count in `outputs` only. */
  withoutLineage: number;
  /** Up to `sampleLimit` lost inputs, to start an investigation from. */
  lostSamples: Array<{ partition: number; offset: number }>;
  /** Up to `sampleLimit` violations: the source offset that came after a higher one. */
  violationSamples: Array<{
    outputPartition: number;
    sourcePartition: number;
    sourceOffset: number;
    afterSourceOffset: number;
    key?: string | null;
  }>;
}

export interface AnalyseOptions {
  /** When given, only outputs whose source topic is this one can match an input. */
  inputTopic?: string;
  /** Most samples of each kind in the report (default 10). */
  sampleLimit?: number;
  /** Records of the dead-letter topic (their lineage headers name the input they came from). */
  deadLetters?: readonly OutputRef[];
}

/** Per output partition: which sources had their first output there, and each stream's highest. */
interface OutputPartitionWalk {
  seenInputs: Set<number>;
  seenOther: Set<string>;
  highest: Map<string, number>;
}

export function analyse(
  inputs: readonly InputRef[],
  outputs: readonly OutputRef[],
  ordering: VerifyOrdering,
  options: AnalyseOptions = {},
): VerifyReport {
  const sampleLimit = options.sampleLimit ?? 10;
  // source partition → source offset → index in `inputs`
  const inputIndex = new Map<number, Map<number, number>>();
  inputs.forEach((input, index) => {
    let offsets = inputIndex.get(input.partition);
    if (offsets === undefined) {
      offsets = new Map();
      inputIndex.set(input.partition, offsets);
    }
    offsets.set(input.offset, index);
  });

  const covered = new Uint8Array(inputs.length);
  const otherSources = new Set<string>();
  const walks = new Map<number, OutputPartitionWalk>();
  let distinctSources = 0;
  let unmatched = 0;
  let withoutLineage = 0;
  let orderViolations = 0;
  const violationSamples: VerifyReport['violationSamples'] = [];

  for (const output of outputs) {
    const { sourceTopic, sourcePartition, sourceOffset } = output;
    if (sourceTopic === '' || !Number.isInteger(sourcePartition) || !Number.isInteger(sourceOffset)) {
      withoutLineage++;
      continue;
    }
    const topicMatches = options.inputTopic === undefined || sourceTopic === options.inputTopic;
    const index = topicMatches ? inputIndex.get(sourcePartition)?.get(sourceOffset) : undefined;
    const otherId = index === undefined ? `${sourceTopic}\u0000${sourcePartition}\u0000${sourceOffset}` : '';
    if (index === undefined) {
      unmatched++;
      if (!otherSources.has(otherId)) {
        otherSources.add(otherId);
        distinctSources++;
      }
    } else if (covered[index] === 0) {
      covered[index] = 1;
      distinctSources++;
    }

    let walk = walks.get(output.outputPartition);
    if (walk === undefined) {
      walk = { seenInputs: new Set(), seenOther: new Set(), highest: new Map() };
      walks.set(output.outputPartition, walk);
    }
    // Only the first output of a source in this output partition says anything about order.
    if (index === undefined) {
      if (walk.seenOther.has(otherId)) continue;
      walk.seenOther.add(otherId);
    } else {
      if (walk.seenInputs.has(index)) continue;
      walk.seenInputs.add(index);
    }
    // In key mode the input's key decides the stream; the output's key stands in when the input is unknown.
    const key = ordering === 'key' ? (index === undefined ? output.key : inputs[index]!.key) : null;
    const stream =
      ordering === 'key'
        ? `${sourceTopic}\u0000${sourcePartition}\u0000${key === null ? '\u0001null' : key}`
        : `${sourceTopic}\u0000${sourcePartition}`;
    const highest = walk.highest.get(stream);
    if (highest !== undefined && sourceOffset < highest) {
      orderViolations++;
      if (violationSamples.length < sampleLimit) {
        violationSamples.push({
          outputPartition: output.outputPartition,
          sourcePartition,
          sourceOffset,
          afterSourceOffset: highest,
          ...(ordering === 'key' ? { key } : {}),
        });
      }
    } else {
      walk.highest.set(stream, sourceOffset);
    }
  }

  // 2: no output, but a dead letter names it.
  for (const dead of options.deadLetters ?? []) {
    if (options.inputTopic !== undefined && dead.sourceTopic !== options.inputTopic) continue;
    const index = inputIndex.get(dead.sourcePartition)?.get(dead.sourceOffset);
    if (index !== undefined && covered[index] === 0) covered[index] = 2;
  }

  let lost = 0;
  let deadLettered = 0;
  const lostSamples: VerifyReport['lostSamples'] = [];
  for (let index = 0; index < inputs.length; index++) {
    if (covered[index] === 1) continue;
    if (covered[index] === 2) {
      deadLettered++;
      continue;
    }
    lost++;
    if (lostSamples.length < sampleLimit) {
      lostSamples.push({ partition: inputs[index]!.partition, offset: inputs[index]!.offset });
    }
  }

  return {
    ordering,
    inputs: inputs.length,
    outputs: outputs.length,
    lost,
    ...(options.deadLetters === undefined ? {} : { deadLettered }),
    duplicates: outputs.length - withoutLineage - distinctSources,
    orderViolations,
    unmatched,
    withoutLineage,
    lostSamples,
    violationSamples,
  };
}
