// Checking a real-workload drain's outputs: every input has one output with lineage, each is what
// the worker makes, and an order-free digest tells whether two systems wrote the same bytes.
import {
  isReviewAnalysis,
  isWebp,
  type OutputRecordSeen,
  outputProblem,
  tallyOutputs,
} from '../../../benchmarks/harness/workload-outputs';

const webp = (n: number) =>
  Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP'), Buffer.from([n])]);
const seen = (source: string | undefined, value: Buffer | null, appendedAtMs = 0): OutputRecordSeen => ({
  source,
  value,
  appendedAtMs,
});

describe('isWebp and isReviewAnalysis', () => {
  it('accepts a RIFF/WEBP file and refuses anything else', () => {
    expect(isWebp(webp(1))).toBe(true);
    expect(isWebp(Buffer.from('RIFF....WAVE'))).toBe(false);
    expect(isWebp(Buffer.from([0xff, 0xd8, 0xff]))).toBe(false);
    expect(isWebp(null)).toBe(false);
  });

  it('accepts what workers/text.ts writes and refuses a copied input or a bad score', () => {
    const analysis = { id: 'r-1', product: 'SKU-1', tokens: 3, topTerms: [], sentiment: 'neutral', score: 0 };
    expect(isReviewAnalysis(Buffer.from(JSON.stringify(analysis)))).toBe(true);
    expect(isReviewAnalysis(Buffer.from(JSON.stringify({ id: 'r-1', product: 'SKU-1', text: 'great' })))).toBe(false);
    expect(isReviewAnalysis(Buffer.from(JSON.stringify({ ...analysis, score: 1 })))).toBe(false);
    expect(isReviewAnalysis(Buffer.from(JSON.stringify({ ...analysis, sentiment: 'great' })))).toBe(false);
    expect(isReviewAnalysis(Buffer.from('{"id":'))).toBe(false);
    expect(isReviewAnalysis(null)).toBe(false);
  });
});

describe('tallyOutputs', () => {
  it('counts distinct sources, duplicates, outputs without lineage and invalid values', () => {
    const t = tallyOutputs(
      [seen('0:0', webp(1)), seen('0:1', webp(2)), seen('0:1', webp(2)), seen(undefined, webp(3)), seen('1:0', null)],
      isWebp,
    );
    expect(t).toMatchObject({ outputs: 5, sources: 3, inWindow: 3, duplicates: 1, withoutLineage: 1, invalid: 1 });
  });

  it('counts sources appended by the end of the window', () => {
    const t = tallyOutputs(
      [seen('0:0', webp(1), 100), seen('0:1', webp(2), 200), seen('0:2', webp(3), 300)],
      isWebp,
      200,
    );
    expect(t.sources).toBe(3);
    expect(t.inWindow).toBe(2);
  });

  it('gives the same digest in any order and with duplicates, another for other bytes or sources', () => {
    const a = tallyOutputs([seen('0:0', webp(1)), seen('0:1', webp(2))], isWebp).digest;
    const reordered = tallyOutputs([seen('0:1', webp(2)), seen('0:0', webp(1)), seen('0:1', webp(2))], isWebp).digest;
    expect(reordered).toBe(a);
    expect(tallyOutputs([seen('0:0', webp(1)), seen('0:1', webp(9))], isWebp).digest).not.toBe(a);
    expect(tallyOutputs([seen('0:0', webp(2)), seen('0:1', webp(1))], isWebp).digest).not.toBe(a);
  });
});

describe('outputProblem', () => {
  const check = {
    outputs: 10,
    sources: 10,
    inWindow: 10,
    duplicates: 0,
    withoutLineage: 0,
    invalid: 0,
    deadLettered: 0,
    digest: '',
  };

  it('accepts one output per input, or dead letters for the rest', () => {
    expect(outputProblem(check, 10)).toBeNull();
    expect(outputProblem({ ...check, sources: 9, deadLettered: 1 }, 10)).toBeNull();
    expect(outputProblem({ ...check, outputs: 12, duplicates: 2 }, 10)).toBeNull();
  });

  it('refuses missing outputs, outputs without lineage and invalid values', () => {
    expect(outputProblem({ ...check, sources: 9 }, 10)).toBe('9 inputs with an output + 0 dead-lettered for 10 inputs');
    expect(outputProblem({ ...check, withoutLineage: 1 }, 10)).toBe('1 outputs without lineage headers');
    expect(outputProblem({ ...check, invalid: 3 }, 10)).toBe('3 of 10 outputs are not what the worker makes');
  });
});
