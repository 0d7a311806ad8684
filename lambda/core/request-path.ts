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
 * - as a URL parser reads it ({@link urlParserViews}): tab, LF and CR removed, cut at `?` or `#`,
 *   also with trailing spaces and control characters stripped (at the end of a URL), dot segments
 *   (`%2e` among them) resolved, escapes kept; and each decoded reading so too;
 * - decoded but for `%2F`, as routers that decode before matching read it (`/users/x%2Fy` is one
 *   `{id}` to them), and that as a URL parser reads it;
 * - each reading but the first folded as well: Unicode compatibility forms and case folded
 *   ({@link foldText}), a segment cut at a NUL and stripped of trailing dots and spaces.
 *
 * Total over any string.
 */
export function pathReadings(path: string): readonly PathReading[] {
  return PLAIN_PATH.test(path) ? plainPathReadings(path) : everyPathReading(path);
}

/**
 * Paths of letters, digits, `-`, `_`, `~` and `/` only: no reading decodes, resolves, cuts or
 * strips anything in them, so {@link everyPathReading} finds just two, the segments as sent and
 * the same in lower case. Most requests' paths are such (`/orders/42`).
 */
const PLAIN_PATH = /^[/A-Za-z0-9_~-]*$/;

/** {@link everyPathReading} of a path {@link PLAIN_PATH} accepts, without the work of the others. */
export function plainPathReadings(path: string): readonly PathReading[] {
  const segments = path.split('/').filter((segment) => segment.length > 0);
  return [
    { segments, caseFolded: false },
    { segments: segments.map((segment) => segment.toLowerCase()), caseFolded: true },
  ];
}

/** {@link pathReadings} of any path, each reading worked out. */
export function everyPathReading(path: string): readonly PathReading[] {
  const readings: PathReading[] = [];
  const seen = new Set<string>();
  const add = (segments: PathSegments, caseFolded: boolean): void => {
    const key = `${caseFolded ? 1 : 0}\u0000${segments.join('\u0000')}`;
    if (seen.has(key)) return;
    seen.add(key);
    readings.push({ segments, caseFolded });
  };
  add(
    path.split('/').filter((segment) => segment.length > 0),
    false,
  );
  for (const view of resolvedViews(path)) add(resolveSegments(view.text, view.folded, view.percentDots), view.folded);
  return readings;
}

/** A text the readings resolve dot segments in, and how its reading treats it. */
interface ResolvedView {
  readonly text: string;
  readonly folded: boolean;
  /** `%2e` counts as a dot (a URL parser's view). */
  readonly percentDots: boolean;
}

/**
 * Every text a reading but the first (as sent) resolves, each as sent and folded: as a URL parser
 * reads it (WHATWG URL, and the routers that use it: escapes kept); as routers that decode before
 * matching (decodeURI) read it (every escape but an encoded `/`); decoded once, and twice; and each
 * decoded text as a URL parser reads it (`/a%2Fb/.%09./admin` decoded but for `%2F` is, to a URL
 * parser, `/a%2Fb/../admin`: `/admin`).
 */
function* resolvedViews(path: string): Generator<ResolvedView> {
  function* asSentAndFolded(text: string, percentDots: boolean): Generator<ResolvedView> {
    yield { text, folded: false, percentDots };
    yield { text: foldText(text), folded: true, percentDots };
  }
  for (const parsed of urlParserViews(path)) yield* asSentAndFolded(parsed, true);
  const keepingSlashes = decodePercentEscapes(path, true);
  yield* asSentAndFolded(keepingSlashes, true);
  for (const parsed of urlParserViews(keepingSlashes)) yield* asSentAndFolded(parsed, true);
  const once = decodePercentEscapes(path);
  for (const decoded of once === path ? [once] : [once, decodePercentEscapes(once)]) {
    yield* asSentAndFolded(decoded, false);
    for (const parsed of urlParserViews(decoded)) yield* asSentAndFolded(parsed, true);
  }
}

/**
 * The path part of `text` as a WHATWG URL parser reads it: tab, LF and CR removed, cut at a `?` or
 * `#` (an HTTP API's decoded `rawPath` may hold them: a backend that builds a `URL` from it reads
 * `/ord%09ers` as `/orders` and `/orders%3Fx` as `/orders`). Its segments are then resolved as
 * {@link resolveSegments} does, where `%2e` counts as a dot, as it does for the parser.
 */
function urlParserView(text: string): string {
  const stripped = text.replace(/[\t\n\r]/g, '');
  const cut = stripped.search(/[?#]/);
  return cut < 0 ? stripped : stripped.slice(0, cut);
}

/**
 * The paths a WHATWG URL parser may make of `text` ({@link urlParserView}), without duplicates: as
 * part of a longer URL, and at its end, where the parser first strips trailing spaces and control
 * characters (`/users/x/..%20` decoded is `/users/x/.. `, which `new URL` reads as `/users/`).
 */
function urlParserViews(text: string): string[] {
  const parsed = urlParserView(text);
  const trimmed = withoutTrailingControls(parsed);
  return trimmed === parsed ? [parsed] : [parsed, trimmed];
}

/** `text` without the spaces and C0 control characters at its end (a loop: no regex backtracking). */
function withoutTrailingControls(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(0, end);
}

/**
 * Whether any reading of `path` ({@link pathReadings}) resolves a dot segment: `.` or `..` in any of
 * the spellings a reading takes for one (`%2e`, `..;x`, `.<tab>.`, fullwidth `．．`, `‥`, decoded
 * once or twice). Where a `/` may have been `%2F`, such a path cannot be read back: the backend may
 * resolve `..` over a segment that the decoded path splits in two. Asks the same texts the readings
 * resolve, so the two cannot drift apart.
 */
export function hasDotSegment(path: string): boolean {
  // A plain path has no dot to resolve. Most paths are plain, and this runs on every HTTP API
  // request (the DPoP request URI), cache hits included.
  if (PLAIN_PATH.test(path)) return false;
  for (const view of resolvedViews(path)) {
    for (const raw of view.text.split(/[/\\]/)) {
      const dots = dotsOf(withoutParameters(raw), view.percentDots);
      if (dots === '.' || dots === '..') return true;
    }
  }
  return false;
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

/** Segments split on `/` and `\`, `;` parameters dropped, dot segments resolved (`%2e` a dot for `percentDots`). */
function resolveSegments(text: string, folded: boolean, percentDots = false): PathSegments {
  const resolved: string[] = [];
  for (const raw of text.split(/[/\\]/)) {
    let segment = withoutParameters(raw);
    const dots = dotsOf(segment, percentDots);
    if (folded && dots !== '.' && dots !== '..') segment = cleanFoldedSegment(segment);
    if (segment.length === 0 || dots === '.') continue;
    if (dots === '..') {
      resolved.pop();
      continue;
    }
    resolved.push(segment);
  }
  return resolved;
}

/** A segment without its `;` parameters (servlets'). */
function withoutParameters(raw: string): string {
  const semicolon = raw.indexOf(';');
  return semicolon < 0 ? raw : raw.slice(0, semicolon);
}

/**
 * A segment (its `;` parameters dropped) as {@link resolveSegments} tells a dot segment by: for
 * `percentDots`, `%2e` read as a dot (to a URL parser `.%2E` and `%2e%2e` are `..`).
 */
function dotsOf(segment: string, percentDots: boolean): string {
  return percentDots && segment.length <= 6 ? segment.replace(/%2e/gi, '.') : segment;
}

/** Cut at a NUL (C string handling), trailing dots and spaces dropped (Windows file names). */
function cleanFoldedSegment(segment: string): string {
  const nul = segment.indexOf('\u0000');
  const cut = nul < 0 ? segment : segment.slice(0, nul);
  // A loop, not /[. ]+$/: that regex backtracks over a long run of dots or spaces before another
  // character, time growing with the square of the length (client input).
  let end = cut.length;
  while (end > 0 && (cut[end - 1] === '.' || cut[end - 1] === ' ')) end--;
  // Dots only: a dot segment, left as it is.
  return end === 0 && /^\.+$/.test(cut) ? cut : cut.slice(0, end);
}

/** Made on first use: a replacing UTF-8 decoder costs a cold start a tenth of a millisecond, and most paths hold no escape. */
let utf8: TextDecoder | undefined;
const encoder = new TextEncoder();

/**
 * Decodes `%XX` escapes once, byte by byte, as backends do (Python's `unquote`, Java's
 * `URLDecoder`, Go): the bytes are read as UTF-8, an invalid sequence becomes U+FFFD and never
 * keeps the escapes around it from decoding.
 */
function decodePercentEscapes(path: string, keepSlashes = false): string {
  if (!path.includes('%')) return path;
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const char = path.charCodeAt(i);
    if (char === 0x25 && i + 2 < path.length && isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2))) {
      const byte = Number.parseInt(path.slice(i + 1, i + 3), 16);
      if (keepSlashes && byte === 0x2f) bytes.push(0x25, path.charCodeAt(i + 1), path.charCodeAt(i + 2));
      else bytes.push(byte);
      i += 2;
    } else if (char < 0x80) {
      bytes.push(char);
    } else {
      const codePoint = path.codePointAt(i) as number;
      if (codePoint > 0xffff) i++;
      for (const byte of encoder.encode(String.fromCodePoint(codePoint))) bytes.push(byte);
    }
  }
  utf8 ??= new TextDecoder('utf-8', { fatal: false });
  return utf8.decode(new Uint8Array(bytes));
}

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}
