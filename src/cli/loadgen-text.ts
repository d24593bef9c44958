/**
 * Review-like texts for `turbine loadgen --format text`: JSON values
 * `{"id":"r-<seq>","product":"SKU-<n>","text":"..."}` whose text is built from word lists and
 * sentence templates by a seeded generator (the same --seed gives the same texts), with a
 * positive, negative or mixed tone per review, negations ("not worth it"), intensifiers, and a
 * little of what real comments carry: curly apostrophes, fullwidth letters, accents, emoji.
 * Text lengths are spread on a log scale from 50 to 2000 characters (UTF-16 code units).
 * With --corrupt-rate, that share of values is cut in half: no longer JSON, so the engine
 * dead-letters them as DECODE_ERROR.
 */
import { type SeededRandom, seededRandom } from './seeded-random.js';

export const TEXT_MIN_CHARS = 50;
export const TEXT_MAX_CHARS = 2000;

const PRODUCTS = [
  'blender',
  'backpack',
  'kettle',
  'headphones',
  'desk lamp',
  'running shoes',
  'phone case',
  'coffee grinder',
  'office chair',
  'rain jacket',
  'keyboard',
  'water bottle',
  'frying pan',
  'tent',
  'smartwatch',
  'vacuum cleaner',
];
const PARTS = [
  'battery',
  'screen',
  'strap',
  'zipper',
  'lid',
  'handle',
  'fabric',
  'cable',
  'charger',
  'instructions',
  'packaging',
  'delivery',
  'price',
  'sound',
  'colour',
  'size',
  'buttons',
  'app',
  'motor',
  'finish',
  'seams',
  'box',
];
const POSITIVE = [
  'great',
  'excellent',
  'sturdy',
  'comfortable',
  'reliable',
  'beautiful',
  'perfect',
  'solid',
  'quick',
  'lovely',
  'impressive',
  'intuitive',
  'durable',
  'amazing',
  'good',
  'nice',
  'smooth',
  'worth it',
];
const NEGATIVE = [
  'terrible',
  'flimsy',
  'broken',
  'disappointing',
  'useless',
  'awful',
  'poor',
  'faulty',
  'cheaply made',
  'noisy',
  'slow',
  'overpriced',
  'frustrating',
  'bad',
  'defective',
  'uncomfortable',
];
const NEUTRAL = ['average', 'okay', 'fine', 'as described', 'standard', 'decent', 'what I expected', 'normal'];
const INTENSIFIERS = ['very ', 'really ', 'extremely ', 'quite ', 'so ', 'absolutely ', '', '', '', ''];
const RECOMMEND = ['highly ', 'definitely ', 'really ', '', ''];
const WELL = ['really ', 'very ', 'so ', '', ''];
const PEOPLE = ['my daughter', 'my husband', 'my wife', 'the office', 'my dad', 'a friend', 'myself', 'camping trips'];
const TIMES = ['two days', 'a week', 'three weeks', 'a month', 'six months', 'a year'];
const EXTRAS = [' 👍', ' 😡', ' 🙂', ' ★★★★★', ' ★☆☆☆☆', '!!', '...', ' :)', ' :(', ' (ＧＲＥＡＴ)', ' — café-quality'];

type Tone = 'positive' | 'negative' | 'mixed';

/** One sentence for a review of `product` in `tone`. */
function sentence(random: SeededRandom, tone: Tone, product: string): string {
  const good = tone === 'positive' || (tone === 'mixed' && random.next() < 0.5);
  const adjective = random.pick(good ? POSITIVE : NEGATIVE);
  const opposite = random.pick(good ? NEGATIVE : POSITIVE);
  const part = random.pick(PARTS);
  const intensifier = random.pick(INTENSIFIERS);
  switch (random.int(0, 9)) {
    case 0:
      return `The ${part} is ${intensifier}${adjective}.`;
    case 1:
      return `Honestly the ${product} is not ${opposite} at all.`;
    case 2:
      return good
        ? `I would ${random.pick(RECOMMEND)}recommend this ${product}.`
        : `I can’t recommend this ${product}.`;
    case 3:
      return `Bought it for ${random.pick(PEOPLE)} and after ${random.pick(TIMES)} it is still ${adjective}.`;
    case 4:
      return good ? `Love the ${part}, ${intensifier}${adjective}!` : `Hate the ${part}, ${intensifier}${adjective}!`;
    case 5:
      return `The ${part} feels ${random.pick(NEUTRAL)}, nothing special.`;
    case 6:
      return good
        ? `Five stars, the ${part} works ${random.pick(WELL)}well and it arrived early.`
        : `One star: the ${part} stopped working and support never answered.`;
    case 7:
      return `Didn’t expect the ${part} to be this ${adjective}.`;
    case 8:
      return `Compared with my old ${product}, the ${part} is ${intensifier}${adjective}${random.pick(EXTRAS)}`;
    default:
      return good
        ? `Naïve me expected problems, but it’s ${adjective}.`
        : `Returned it after ${random.pick(TIMES)}; ${intensifier}${adjective}.`;
  }
}

/** A review text of 50..2000 characters, cut at a word boundary when the last sentence overshoots. */
export function reviewText(random: SeededRandom): string {
  const target = Math.round(random.logUniform(TEXT_MIN_CHARS, TEXT_MAX_CHARS));
  const roll = random.next();
  const tone: Tone = roll < 0.55 ? 'positive' : roll < 0.85 ? 'negative' : 'mixed';
  const product = random.pick(PRODUCTS);
  let text = '';
  while (text.length < target) text += (text === '' ? '' : ' ') + sentence(random, tone, product);
  if (text.length <= TEXT_MAX_CHARS) return text;
  const cut = text.lastIndexOf(' ', TEXT_MAX_CHARS - 1);
  return `${text.slice(0, cut)}.`;
}

/** Value generator for `--format text` (a ValueGenerator of loadgen-values.ts). */
export class ReviewTexts {
  /** Values sent corrupt on purpose. */
  corrupted = 0;
  private readonly random: SeededRandom;

  constructor(
    seed: number,
    private readonly corruptRate = 0,
  ) {
    this.random = seededRandom(seed);
  }

  next(seq: number, keyIndex: number): Buffer {
    const review = { id: `r-${seq}`, product: `SKU-${keyIndex}`, text: reviewText(this.random) };
    const value = Buffer.from(JSON.stringify(review), 'utf8');
    if (this.corruptRate > 0 && this.random.next() < this.corruptRate) {
      this.corrupted++;
      return value.subarray(0, value.length >> 1);
    }
    return value;
  }
}
