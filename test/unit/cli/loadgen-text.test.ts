/**
 * `turbine loadgen --format text`: review JSON values whose texts run from 50 to 2000 characters,
 * spread over that range, the same for the same seed, and with --corrupt-rate a share of values
 * that are no longer JSON, counted.
 */

import { ReviewTexts, TEXT_MAX_CHARS, TEXT_MIN_CHARS } from '../../../src/cli/loadgen-text';
import { createValueGenerator } from '../../../src/cli/loadgen-values';

interface Review {
  id: string;
  product: string;
  text: string;
}

function reviews(generator: { next(seq: number, keyIndex: number, timestampMs: number): Buffer }, count: number) {
  return Array.from({ length: count }, (_, seq) => generator.next(seq, seq % 10, 0).toString('utf8'));
}

describe('review texts', () => {
  it('are JSON reviews {id, product, text} with texts of 50..2000 characters, spread over the range', () => {
    const values = reviews(createValueGenerator({ format: 'text', valueSize: 0, seed: 7 }), 3000);
    const parsed = values.map((value) => JSON.parse(value) as Review);
    expect(parsed[5]).toEqual({ id: 'r-5', product: 'SKU-5', text: expect.any(String) });
    const lengths = parsed.map((review) => review.text.length).sort((a, b) => a - b);
    expect(lengths[0]).toBeGreaterThanOrEqual(TEXT_MIN_CHARS);
    expect(lengths.at(-1)).toBeLessThanOrEqual(TEXT_MAX_CHARS);
    // Log-uniform: about a third under 170 characters, about a third over 590.
    expect(lengths.filter((length) => length < 170).length).toBeGreaterThan(700);
    expect(lengths.filter((length) => length > 1200).length).toBeGreaterThan(300);
  });

  it('are the same for the same seed and differ for another', () => {
    expect(reviews(new ReviewTexts(3), 50)).toEqual(reviews(new ReviewTexts(3), 50));
    expect(reviews(new ReviewTexts(4), 50)).not.toEqual(reviews(new ReviewTexts(3), 50));
  });

  it('carry what real comments carry: curly apostrophes, fullwidth letters, accents or emoji', () => {
    const all = reviews(new ReviewTexts(1), 500).join('\n');
    expect(all).toContain('’');
    expect(all).toMatch(/[Ａ-Ｚ]/);
    expect(all).toContain('ï');
    expect(all).toMatch(/\p{Extended_Pictographic}/u);
  });

  it('with a corrupt rate, cut that share of values in half and count them', () => {
    const generator = new ReviewTexts(9, 0.1);
    const values = reviews(generator, 5000);
    const broken = values.filter((value) => {
      try {
        JSON.parse(value);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken).toHaveLength(generator.corrupted);
    expect(generator.corrupted).toBeGreaterThan(400);
    expect(generator.corrupted).toBeLessThan(600);
  });
});
