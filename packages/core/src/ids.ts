import { randomFillSync } from 'node:crypto';

/** Random bytes for this many ids are drawn at once. */
const POOL_IDS = 256;
const random = Buffer.alloc(16 * POOL_IDS);
let offset = random.length;
/** The ASCII codes of each byte's two hex digits. */
const HEX_CODES = Array.from({ length: 256 }, (_, byte) => {
  const hex = byte.toString(16).padStart(2, '0');
  return [hex.charCodeAt(0), hex.charCodeAt(1)] as const;
});
/** Where each of the 16 bytes goes in the 36-character text (dashes at 8, 13, 18 and 23). */
const POSITIONS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const text = Buffer.from('00000000-0000-4000-8000-000000000000', 'latin1');

/**
 * Job, batch and chain ids, and lease tokens: random (version 4) UUIDs (core makes every id; drivers make none).
 * The same bytes `crypto.randomUUID()` would give, written as one string: its text is built from 20 pieces, and
 * a dispatch made most of its garbage there.
 */
export function newId(): string {
  if (offset === random.length) {
    randomFillSync(random);
    offset = 0;
  }
  random[offset + 6] = (random[offset + 6]! & 0x0f) | 0x40; // version 4
  random[offset + 8] = (random[offset + 8]! & 0x3f) | 0x80; // variant 10
  for (let i = 0; i < 16; i++) {
    const [high, low] = HEX_CODES[random[offset + i]!]!;
    const at = POSITIONS[i]!;
    text[at] = high;
    text[at + 1] = low;
  }
  offset += 16;
  return text.toString('latin1', 0, 36);
}
