// The generated part of docs/scaling.md: replaced between its markers, and the model's prediction
// min(partitions × r, instances × pool × r, instances × C) next to each measured point.
import {
  renderScalingSection,
  SECTION_END,
  SECTION_START,
  updateGeneratedSection,
} from '../../../benchmarks/harness/scaling-doc';
import { fixtureReport } from './report-fixture';

describe('updateGeneratedSection', () => {
  it('replaces only the text between the markers', () => {
    const doc = `# Scaling\n\nhand text\n\n${SECTION_START}\nold figures\n${SECTION_END}\n\nmore hand text\n`;
    const updated = updateGeneratedSection(doc, 'new figures');
    expect(updated).toBe(`# Scaling\n\nhand text\n\n${SECTION_START}\nnew figures\n${SECTION_END}\n\nmore hand text\n`);
  });

  it('appends the markers when the document has none', () => {
    expect(updateGeneratedSection('# Scaling\n', 'figures')).toBe(
      `# Scaling\n\n${SECTION_START}\nfigures\n${SECTION_END}\n`,
    );
  });
});

describe('renderScalingSection', () => {
  const section = renderScalingSection(fixtureReport());

  it('states the measured per-core rate and client ceiling', () => {
    expect(section).toContain('per-core rate r (1 instance, pool 1): 9,000 records/s');
    expect(section).toContain('client ceiling C (bare node-rdkafka loop at W = 0, per process): 40,000 records/s');
  });

  it('puts each point against the model', () => {
    // pool 2: min(12 × 9,000, 2 × 9,000, 40,000) = 18,000; measured 17,000 = 94%.
    expect(section).toContain('| 1 | 2 | 2 | 17,000 | 18,000 | 94% | cores × per-core rate |');
    // 2 instances × pool 1: min(..., 2 × 9,000, 2 × 40,000) = 18,000.
    expect(section).toContain('| 2 | 1 | 2 | 16,000 | 18,000 | 89% | cores × per-core rate |');
  });
});
