import fc from 'fast-check';

/** RFC 6750 token68 characters. */
export const TOKEN68_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';
export const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Any UTF-16 code unit, lone surrogates, NUL and controls included. */
export const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Characters that are not token68 (nor the `=` padding), each a classic way to confuse a parser. */
export const NON_TOKEN68_CHARACTERS = [
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  ',',
  ';',
  '"',
  "'",
  '%',
  '@',
  '\\',
  '*',
  '#',
  '?',
  '&',
  '(',
  ')',
  '<',
  '>',
  '\u00a0',
  '\u200b',
  '\ufeff',
  'é',
  '\ud800',
  '\u{1f511}',
];

/** Any string: full Unicode, lone surrogates, or ASCII, up to `maxLength` code units. */
export function anyString(maxLength = 200): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: anyCodeUnit, maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
  );
}

/** A string over `alphabet`. */
export function stringOver(
  alphabet: string,
  constraints: { minLength?: number; maxLength: number },
): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...alphabet.split('')), ...constraints });
}

/** `Bearer` in any letter case. */
export const bearerScheme = fc
  .array(fc.boolean(), { minLength: 6, maxLength: 6 })
  .map((upper) => [...'bearer'].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join(''));

/** What goes between scheme and credential: usually one space, sometimes several, sometimes wrong. */
export const separator = fc.oneof(
  { weight: 6, arbitrary: fc.constant(' ') },
  { weight: 2, arbitrary: fc.integer({ min: 2, max: 5 }).map((n) => ' '.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', '\t', ' \t', '\u00a0', '\n ', ':', ': ', '=') },
);

/** Bytes decoded the ways a header value might be: Latin-1 (as Node does) or UTF-8 with replacement. */
export const headerFromBytes = fc
  .tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean())
  .map(([bytes, latin1]) => Buffer.from(bytes).toString(latin1 ? 'latin1' : 'utf8'));

/** A change to a token. */
export type Mutation = (token: string) => string;

/**
 * The edits an attacker tries first: a character flipped, added, removed or re-cased, a run cut out,
 * the spare bits of the last character changed, padding added, parts of other valid tokens
 * spliced in.
 */
export function tokenMutation(
  others: () => readonly { readonly credential: string; readonly jwt: string }[],
): fc.Arbitrary<Mutation> {
  const position = fc.nat();
  const at = (token: string, n: number) => n % Math.max(1, token.length);
  const character = fc.oneof(
    fc.constantFrom(...BASE64URL_ALPHABET.split('')),
    fc.constantFrom(...TOKEN68_ALPHABET.split('')),
    anyCodeUnit,
  );
  return fc.oneof(
    fc.tuple(position, character).map(
      ([n, c]): Mutation =>
        (t) =>
          t.slice(0, at(t, n)) + c + t.slice(at(t, n) + 1),
    ),
    fc.tuple(position, character).map(
      ([n, c]): Mutation =>
        (t) =>
          t.slice(0, at(t, n)) + c + t.slice(at(t, n)),
    ),
    position.map(
      (n): Mutation =>
        (t) =>
          t.slice(0, at(t, n)) + t.slice(at(t, n) + 1),
    ),
    fc.tuple(position, fc.integer({ min: 1, max: 40 })).map(
      ([n, k]): Mutation =>
        (t) =>
          t.slice(0, at(t, n)) + t.slice(at(t, n) + k),
    ),
    position.map(
      (n): Mutation =>
        (t) => {
          const i = at(t, n);
          return i + 1 < t.length ? t.slice(0, i) + t[i + 1] + t[i] + t.slice(i + 2) : t;
        },
    ),
    position.map(
      (n): Mutation =>
        (t) => {
          const i = at(t, n);
          const c = t[i] ?? '';
          const swapped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
          return t.slice(0, i) + swapped + t.slice(i + 1);
        },
    ),
    // Base64url leaves spare bits in the last character: the same signature bytes, other text.
    fc.integer({ min: 1, max: 15 }).map(
      (d): Mutation =>
        (t) => {
          const i = BASE64URL_ALPHABET.indexOf(t.at(-1) ?? '');
          if (i < 0) return t;
          const spare = t.split('.').at(-1)?.length ?? 0;
          const mask = spare % 4 === 2 ? 15 : spare % 4 === 3 ? 3 : 0;
          return t.slice(0, -1) + BASE64URL_ALPHABET[(i & ~mask) | ((i + d) & mask)];
        },
    ),
    fc.constantFrom<Mutation>(
      (t) => t + t,
      (t) => `${t}=`,
      (t) => `${t}==`,
      (t) => t.slice(0, -1),
      (t) => t.slice(1),
      (t) => t.replace(/-/g, '+').replace(/_/g, '/'),
      (t) => t.split('.').reverse().join('.'),
      (t) => t.split('.').slice(0, 2).join('.'),
      (t) => `${t.split('.').slice(0, 2).join('.')}.`,
      (t) => t.split('.').at(-1) ?? t,
      (t) => `${t}.${t}`,
    ),
    // Parts of two valid tokens put together.
    fc.tuple(fc.nat(), fc.nat({ max: 2 })).map(
      ([n, part]): Mutation =>
        (t) => {
          const pool = others();
          const other = pool[n % pool.length]?.jwt ?? t;
          const mine = t.split('.');
          const theirs = other.split('.');
          if (mine.length === 3) return mine.map((p, k) => (k === part ? (theirs[k] ?? p) : p)).join('.');
          return `${theirs.slice(0, 2).join('.')}.${t}`;
        },
    ),
    fc.nat().map(
      (n): Mutation =>
        (t) => {
          const pool = others();
          const other = pool[n % pool.length]?.credential ?? t;
          return t.slice(0, Math.floor(t.length / 2)) + other.slice(Math.floor(other.length / 2));
        },
    ),
  );
}
