/**
 * How a request path may be read by whatever serves it. API Gateway passes non-canonical paths
 * (`/orders/`, `//orders`, `/a/./b`, `/a/%2e%2e/b`, `/%61dmin`, `/admin%2F%FF`) on to integrations,
 * and backends read them in different ways: most frameworks drop empty segments; many decode
 * percent escapes byte by byte (an invalid UTF-8 byte becomes U+FFFD, its neighbours still decode)
 * and resolve dot segments; some decode twice, treat `\` as `/`, strip `;` parameters (servlets),
 * cut at a NUL, ignore trailing dots and spaces (Windows), or compare without regard to case, and
 * Unicode-aware ones fold `ſ` to `s` and `İ` to `i`. Route rules are applied to each reading and a
 * request needs the scopes of all of them, so no reading a backend may take opens a route the
 * rules close.
 */

/** A path cut into its non-empty segments. */
export type PathSegments = readonly string[];

/** One reading of a path; a case-folded reading is matched against rule literals folded by {@link foldSegment}. */
export interface PathReading {
  readonly segments: PathSegments;
  readonly caseFolded: boolean;
}

/**
 * The readings of `path` that rules are matched against, without duplicates:
 * - as sent: split on `/`, empty segments dropped, nothing decoded;
 * - decoded once, and decoded twice: percent escapes decoded byte by byte, `\` read as `/`, `;`
 *   parameters removed, `.` and `..` resolved (never above the root), case kept;
 * - each decoded reading folded as well: Unicode compatibility forms and case folded
 *   ({@link foldText}), a segment cut at a NUL and stripped of trailing dots and spaces;
 * - each of these also with tab, LF and CR removed, as URL parsers read them.
 *
 * Total over any string.
 */
export function pathReadings(path: string): readonly PathReading[] {
  const readings: PathReading[] = [];
  const seen = new Set<string>();
  const add = (segments: PathSegments, caseFolded: boolean): void => {
    const key = `${caseFolded ? 1 : 0}\u0000${segments.join('\u0000')}`;
    if (seen.has(key)) return;
    seen.add(key);
    readings.push({ segments, caseFolded });
  };
  for (const text of withUrlParserView(path)) {
    add(
      text.split('/').filter((segment) => segment.length > 0),
      false,
    );
  }
  const once = decodePercentEscapes(path);
  for (const decoded of once === path ? [once] : [once, decodePercentEscapes(once)]) {
    for (const text of withUrlParserView(decoded)) {
      add(resolveSegments(text, false), false);
      add(resolveSegments(foldText(text), true), true);
    }
  }
  return readings;
}

/**
 * The text, and as a WHATWG URL parser reads it (tab, LF and CR removed) when that differs: a
 * backend that builds a `URL` from an HTTP API's decoded `rawPath` (Node, Deno and Bun frameworks
 * on Lambda do) reads `/ord<TAB>ers` as `/orders`.
 */
function withUrlParserView(text: string): readonly string[] {
  const parsed = text.replace(/[\t\n\r]/g, '');
  return parsed === text ? [text] : [text, parsed];
}

/** The normalized reading of a path: decoded once, dot segments resolved, folded. */
export function normalizePath(path: string): PathSegments {
  return resolveSegments(foldText(decodePercentEscapes(path)), true);
}

/**
 * Text as case- and compatibility-insensitive backends compare it: NFKC (fullwidth letters, `ſ`,
 * ligatures, fullwidth `／` and `．`), lower case, combining marks dropped after NFKD (`İ` to `i`),
 * dotless `ı` to `i`.
 */
export function foldText(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text.toLowerCase();
  return text.normalize('NFKC').toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').replace(/ı/g, 'i');
}

/** A rule literal as a folded reading compares it. */
export function foldSegment(literal: string): string {
  return cleanFoldedSegment(foldText(literal));
}

function resolveSegments(text: string, folded: boolean): PathSegments {
  const resolved: string[] = [];
  for (const raw of text.split(/[/\\]/)) {
    const semicolon = raw.indexOf(';');
    let segment = semicolon < 0 ? raw : raw.slice(0, semicolon);
    if (folded && segment !== '.' && segment !== '..') segment = cleanFoldedSegment(segment);
    if (segment.length === 0 || segment === '.') continue;
    if (segment === '..') {
      resolved.pop();
      continue;
    }
    resolved.push(segment);
  }
  return resolved;
}

/** Cut at a NUL (C string handling), trailing dots and spaces dropped (Windows file names). */
function cleanFoldedSegment(segment: string): string {
  const nul = segment.indexOf('\u0000');
  const cut = nul < 0 ? segment : segment.slice(0, nul);
  return /^\.+$/.test(cut) ? cut : cut.replace(/[. ]+$/, '');
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/**
 * Decodes `%XX` escapes once, byte by byte, as backends do (Python's `unquote`, Java's
 * `URLDecoder`, Go): the bytes are read as UTF-8, an invalid sequence becomes U+FFFD and never
 * keeps the escapes around it from decoding.
 */
function decodePercentEscapes(path: string): string {
  if (!path.includes('%')) return path;
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const char = path.charCodeAt(i);
    if (char === 0x25 && i + 2 < path.length && isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2))) {
      bytes.push(Number.parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (char < 0x80) {
      bytes.push(char);
    } else {
      const codePoint = path.codePointAt(i) as number;
      if (codePoint > 0xffff) i++;
      for (const byte of encoder.encode(String.fromCodePoint(codePoint))) bytes.push(byte);
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}
