/**
 * Sample worker `text`: text analytics on reviews and comments. Each JSON input
 * `{id, product, text}` gives one JSON output `{id, product, tokens, topTerms, sentiment, score}`:
 * - the text is normalised (Unicode NFKC, lowercase, curly apostrophes made straight) and split
 *   into word tokens (letters, digits and marks, with inner apostrophes: "don't" is one token);
 *   punctuation and symbols are dropped, and `.`, `!`, `?` and `;` end a sentence;
 * - `tokens` is the number of word tokens; `topTerms` the TOP_TERMS (default 5) most frequent
 *   terms that are not stop words, most frequent first, ties in code-point order;
 * - `score` sums the weights of sentiment words from the bundled lexicon (workers/text-lexicon.ts),
 *   scaled by an intensifier right before them ("very good") and reversed by a negator up to
 *   three tokens before them in the same sentence ("not good", "never really worth it"), then
 *   maps the sum into (-1, 1) with sum / sqrt(sum² + 15); `sentiment` is positive above 0.05,
 *   negative below -0.05, else neutral.
 * CPU-bound and deterministic: the same text always gives the same output, so retries and
 * duplicates are harmless. Run with --input-format json --output-format json (the defaults).
 */
import type { InputRecord, OutputRecord } from '../src/types.js';
import { INTENSIFIERS, NEGATORS, SENTIMENT, STOPWORDS } from './text-lexicon.js';

export interface Review {
  id: string | number;
  product: string;
  text: string;
}

export interface TermCount {
  term: string;
  count: number;
}

export type Sentiment = 'positive' | 'negative' | 'neutral';

export interface ReviewAnalysis {
  id: string | number;
  product: string;
  /** Word tokens in the text. */
  tokens: number;
  topTerms: TermCount[];
  sentiment: Sentiment;
  /** From -1 (very negative) to 1 (very positive), 4 decimals. */
  score: number;
}

const topTermCount = Number.parseInt(process.env.TOP_TERMS ?? '5', 10);
if (!Number.isInteger(topTermCount) || topTermCount < 0)
  throw new Error(`TOP_TERMS must be a non-negative integer, got ${process.env.TOP_TERMS}`);

/** A negator reverses a sentiment word at most this many tokens after it. */
const NEGATION_WINDOW = 3;
/** A reversed word counts a little less than its plain form: "not good" is milder than "bad". */
const NEGATION_SCALE = -0.75;
/** VADER's normalisation constant: sum / sqrt(sum² + alpha) maps any sum into (-1, 1). */
const ALPHA = 15;
const NEUTRAL_BAND = 0.05;

/** A word (letters, digits, marks; inner apostrophes kept) or a run of sentence-ending marks. */
const WORD_OR_STOP = /[\p{L}\p{N}\p{M}]+(?:'[\p{L}\p{N}\p{M}]+)*|[.!?;]+/gu;
/** Apostrophe look-alikes NFKC leaves alone: ‘ ’ ʼ ′. */
const APOSTROPHES = /[\u2018\u2019\u02bc\u2032]/g;

/** NFKC (fullwidth and compatibility forms to their plain letters), lowercase, straight apostrophes. */
export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(APOSTROPHES, "'");
}

/** The normalised word tokens of `text`, sentence by sentence (empty sentences left out). */
export function sentences(text: string): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  for (const match of normalize(text).matchAll(WORD_OR_STOP)) {
    const token = match[0];
    const first = token.charCodeAt(0);
    // '.', '!', '?' and ';' are the only non-word matches.
    if (first === 0x2e || first === 0x21 || first === 0x3f || first === 0x3b) {
      if (current.length > 0) out.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The normalised word tokens of `text`, punctuation dropped. */
export function tokenize(text: string): string[] {
  return sentences(text).flat();
}

function isNegator(token: string): boolean {
  return NEGATORS.has(token) || token.endsWith("n't");
}

/** The lexicon sum of one sentence, with intensifiers and negation applied. */
export function sentenceSum(tokens: readonly string[]): number {
  let sum = 0;
  let negatedUntil = -1;
  let scale = 1;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (isNegator(token)) {
      negatedUntil = i + NEGATION_WINDOW;
      scale = 1;
      continue;
    }
    const intensity = INTENSIFIERS.get(token);
    if (intensity !== undefined) {
      scale = intensity;
      continue;
    }
    const weight = SENTIMENT.get(token);
    if (weight !== undefined) {
      let value = weight * scale;
      if (i <= negatedUntil) {
        value *= NEGATION_SCALE;
        negatedUntil = -1;
      }
      sum += value;
    }
    scale = 1;
  }
  return sum;
}

/** Maps a lexicon sum into (-1, 1), rounded to 4 decimals. */
export function normalizeScore(sum: number): number {
  const score = sum / Math.sqrt(sum * sum + ALPHA);
  return Math.round(score * 10_000) / 10_000;
}

export function sentimentOf(score: number): Sentiment {
  if (score > NEUTRAL_BAND) return 'positive';
  if (score < -NEUTRAL_BAND) return 'negative';
  return 'neutral';
}

/** The `limit` most frequent non-stop-word terms, most frequent first, ties in code-point order. */
export function topTerms(tokens: readonly string[], limit = topTermCount): TermCount[] {
  const counts = new Map<string, number>();
  for (const token of tokens) {
    if (token.length < 2 || STOPWORDS.has(token)) continue;
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  const terms: TermCount[] = [];
  for (const [term, count] of counts) terms.push({ term, count });
  // Code-point order, not localeCompare: the same output under any ICU or locale.
  terms.sort((a, b) => b.count - a.count || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  return terms.slice(0, limit);
}

export function analyseReview(review: Review): ReviewAnalysis {
  const split = sentences(review.text);
  let sum = 0;
  let tokens = 0;
  for (const sentence of split) {
    sum += sentenceSum(sentence);
    tokens += sentence.length;
  }
  const score = normalizeScore(sum);
  return {
    id: review.id,
    product: review.product,
    tokens,
    topTerms: topTerms(split.flat()),
    sentiment: sentimentOf(score),
    score,
  };
}

export function isReview(value: unknown): value is Review {
  const v = value as Review | null;
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof v.text === 'string' &&
    typeof v.product === 'string' &&
    (typeof v.id === 'string' || typeof v.id === 'number')
  );
}

export default function text(batch: InputRecord[]): OutputRecord<ReviewAnalysis>[] {
  const out: OutputRecord<ReviewAnalysis>[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const record = batch[i]!;
    if (!isReview(record.value)) {
      throw new Error(`offset ${record.offset}: expected a review {id, product, text} with a string text`);
    }
    out[i] = { key: record.key, value: analyseReview(record.value) };
  }
  return out;
}
