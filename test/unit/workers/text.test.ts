/**
 * The text sample worker's pure parts: normalisation (NFKC, lowercase, straight apostrophes),
 * tokenising (punctuation dropped, inner apostrophes kept, sentences split on . ! ? ;),
 * sentiment scoring with intensifiers and negation, top terms, and the batch function's output
 * and errors.
 */
import type { InputRecord } from '../../../src/types';
import text, {
  analyseReview,
  normalize,
  normalizeScore,
  sentenceSum,
  sentences,
  sentimentOf,
  tokenize,
  topTerms,
} from '../../../workers/text';
import { SENTIMENT } from '../../../workers/text-lexicon';

function record(value: unknown, offset = 0): InputRecord {
  return { key: Buffer.from('k'), value, headers: {}, topic: 't', partition: 0, offset, timestamp: 0 };
}

describe('normalize', () => {
  it('folds fullwidth and compatibility forms (NFKC), lowercases and straightens apostrophes', () => {
    expect(normalize('ＧＲＥＡＴ ﬁne ① Don’t')).toBe("great fine 1 don't");
  });
});

describe('tokenize', () => {
  it('keeps words and numbers, drops punctuation, symbols and emoji', () => {
    expect(tokenize('Wow!!! 50% off -- “really”? 👍 e-mail, café & naïve.')).toEqual([
      'wow',
      '50',
      'off',
      'really',
      'e',
      'mail',
      'café',
      'naïve',
    ]);
  });

  it('keeps inner apostrophes and drops outer ones', () => {
    expect(tokenize("I don't know 'why' it's 'broken'")).toEqual(['i', "don't", 'know', 'why', "it's", 'broken']);
  });

  it('gives the same tokens for composed and decomposed accents', () => {
    expect(tokenize('cafe\u0301')).toEqual(tokenize('café'));
  });

  it('returns nothing for text without words', () => {
    expect(tokenize('?!... 👍👍')).toEqual([]);
  });
});

describe('sentences', () => {
  it('splits on . ! ? and ; and leaves out empty sentences', () => {
    expect(sentences('Good. Not bad!! Really?; ok')).toEqual([['good'], ['not', 'bad'], ['really'], ['ok']]);
  });
});

describe('sentenceSum', () => {
  const good = SENTIMENT.get('good')!;

  it('adds lexicon weights', () => {
    expect(sentenceSum(['good', 'and', 'terrible'])).toBe(good + SENTIMENT.get('terrible')!);
  });

  it('scales a word right after an intensifier', () => {
    expect(sentenceSum(['very', 'good'])).toBeCloseTo(good * 1.5);
    expect(sentenceSum(['very', 'nice', 'good'])).toBeCloseTo(SENTIMENT.get('nice')! * 1.5 + good);
  });

  it('reverses, a little weaker, a word up to three tokens after a negator, once', () => {
    expect(sentenceSum(['not', 'good'])).toBeCloseTo(-0.75 * good);
    expect(sentenceSum(["didn't", 'feel', 'that', 'good'])).toBeCloseTo(-0.75 * good);
    expect(sentenceSum(['not', 'at', 'all', 'the', 'good'])).toBe(good);
    expect(sentenceSum(['not', 'good', 'good'])).toBeCloseTo(0.25 * good);
  });

  it("treats any -n't contraction as a negator", () => {
    expect(sentenceSum(["mightn't", 'good'])).toBeCloseTo(-0.75 * good);
  });

  it('does not carry a negation across sentences', () => {
    const analysis = analyseReview({ id: 1, product: 'p', text: 'Not at all. Good' });
    expect(analysis.score).toBe(normalizeScore(good));
  });
});

describe('normalizeScore and sentimentOf', () => {
  it('maps any sum into (-1, 1), odd, rounded to 4 decimals', () => {
    expect(normalizeScore(0)).toBe(0);
    expect(normalizeScore(3)).toBe(0.6124);
    expect(normalizeScore(-3)).toBe(-0.6124);
    expect(normalizeScore(1e6)).toBeLessThanOrEqual(1);
    expect(normalizeScore(-1e6)).toBeGreaterThanOrEqual(-1);
  });

  it('labels scores beyond ±0.05 and calls the rest neutral', () => {
    expect(sentimentOf(0.06)).toBe('positive');
    expect(sentimentOf(-0.06)).toBe('negative');
    expect(sentimentOf(0.05)).toBe('neutral');
    expect(sentimentOf(0)).toBe('neutral');
  });
});

describe('topTerms', () => {
  it('counts terms, leaves out stop words and one-letter tokens, ties in code-point order', () => {
    const tokens = tokenize('The zipper broke. The zipper! A strap, a strap, and a box; x x x');
    expect(topTerms(tokens, 3)).toEqual([
      { term: 'strap', count: 2 },
      { term: 'zipper', count: 2 },
      { term: 'box', count: 1 },
    ]);
  });

  it('gives at most the limit', () => {
    expect(topTerms(['alpha', 'beta', 'gamma'], 2)).toHaveLength(2);
    expect(topTerms([], 5)).toEqual([]);
  });
});

describe('analyseReview', () => {
  it('emits id, product, token count, top terms, sentiment and score', () => {
    const analysis = analyseReview({
      id: 'r-1',
      product: 'SKU-7',
      text: 'Absolutely LOVE this kettle! The kettle’s lid is sturdy, not flimsy.',
    });
    expect(analysis).toEqual({
      id: 'r-1',
      product: 'SKU-7',
      tokens: 11,
      topTerms: [
        { term: 'absolutely', count: 1 },
        { term: 'flimsy', count: 1 },
        { term: 'kettle', count: 1 },
        { term: "kettle's", count: 1 },
        { term: 'lid', count: 1 },
      ],
      sentiment: 'positive',
      score: expect.any(Number),
    });
    expect(analysis.score).toBeGreaterThan(0.5);
  });

  it('scores a complaint negative and a flat text neutral', () => {
    expect(
      analyseReview({ id: 2, product: 'p', text: 'Terrible. It broke after a week, total waste.' }).sentiment,
    ).toBe('negative');
    expect(analyseReview({ id: 3, product: 'p', text: 'It is a kettle. It boils water.' })).toMatchObject({
      sentiment: 'neutral',
      score: 0,
    });
  });

  it('is deterministic', () => {
    const review = { id: 4, product: 'p', text: 'Really good, but the strap is flimsy and the box was damaged.' };
    expect(analyseReview(review)).toEqual(analyseReview({ ...review }));
  });
});

describe('text worker', () => {
  it('returns one output per input, keyed like its input', () => {
    const out = text([
      record({ id: 1, product: 'a', text: 'great' }),
      record({ id: 2, product: 'b', text: 'awful' }, 1),
    ]);
    expect(out).toHaveLength(2);
    expect(out[0]!.key).toEqual(Buffer.from('k'));
    expect(out[0]!.value.sentiment).toBe('positive');
    expect(out[1]!.value.sentiment).toBe('negative');
  });

  it.each([
    [{ id: 1, product: 'a' }],
    [{ id: 1, product: 'a', text: 42 }],
    [{ product: 'a', text: 'x' }],
    [null],
    ['just a string'],
  ])('throws naming the offset for %j', (value) => {
    expect(() => text([record({ id: 1, product: 'a', text: 'ok' }), record(value, 17)])).toThrow(
      'offset 17: expected a review {id, product, text}',
    );
  });
});
