import type { RouteScopeRule } from '../../lambda/core/route-scopes.ts';

/**
 * The meaning of route rules, restated for tests without the authorizer's code (README, "Route
 * rules"): a path is read as sent (split on `/`, empty segments dropped), decoded byte by byte once
 * and twice (`\` as `/`, `;` parameters dropped, `.`/`..` resolved within the root), and each
 * decoded form also folded (NFKC, lower case, marks dropped, `ı` as `i`, a segment cut at NUL and
 * stripped of trailing dots and spaces); as a URL parser reads it (tab, LF and CR removed, cut at
 * `?` or `#`, `%2e` a dot in dot segments, escapes kept), raw and decoded; decoded but for `%2F`
 * (as routers that decode before matching read it), and that as a URL parser reads it; a URL
 * parser's reading also with the path's trailing spaces and control characters stripped (at the end
 * of a URL); where the gateway decoded
 * the path, every scope of the method's rules and the defaults when any reading resolves a dot
 * segment (a `..` may climb over a `/` that was `%2F`), else every regrouping of each reading's segments (a `/` may have been `%2F`; past 8 segments,
 * every scope of the method's rules and the defaults); for each reading the most specific matching rule applies (segment by segment a
 * literal over `{x}` over `{x+}`, then no greedy segment over one, then a method over `ANY`; ties
 * all apply), else the default scopes; `HEAD` also counts as `GET`; the request needs every scope
 * any of that names.
 */
export function requiredScopesOracle(
  rules: readonly RouteScopeRule[],
  defaultScopes: readonly string[],
  method: string,
  path: string,
  slashesMayBeEscaped = false,
): Set<string> {
  const needed = new Set<string>();
  const methods = method.toUpperCase() === 'HEAD' ? ['HEAD', 'GET'] : [method.toUpperCase()];
  // What a WHATWG URL parser keeps of a path: no tab, LF or CR, nothing from a `?` or `#` on.
  const asUrlParses = (text: string): string => text.replace(/[\t\n\r]/g, '').split(/[?#]/)[0] ?? '';
  // What a URL parser may make of that path: as it is, and at the URL's end, trailing spaces and
  // control characters stripped.
  const urlParserForms = (text: string): string[] => [asUrlParses(text), withoutTrailingC0OrSpace(asUrlParses(text))];
  const readings: { segments: string[]; folded: boolean }[] = [
    { segments: path.split('/').filter(Boolean), folded: false },
  ];
  const once = bytewiseDecode(path);
  const twice = bytewiseDecode(once);
  // decodeURI-style: every escape decoded but `%2F`.
  const slashKept = path
    .split(/(%2[fF])/)
    .map((piece) => (/^%2[fF]$/.test(piece) ? piece : bytewiseDecode(piece)))
    .join('');
  const texts: (readonly [string, boolean])[] = [
    ...urlParserForms(path).map((form) => [form, true] as const),
    [slashKept, true],
    ...urlParserForms(slashKept).map((form) => [form, true] as const),
    [once, false],
    [twice, false],
    ...urlParserForms(once).map((form) => [form, true] as const),
    ...urlParserForms(twice).map((form) => [form, true] as const),
  ];
  for (const [text, urlDots] of texts) {
    readings.push({ segments: resolved(text, false, urlDots), folded: false });
    readings.push({ segments: resolved(fold(text), true, urlDots), folded: true });
  }
  // Where a `/` may have been `%2F`, a dot segment anywhere makes the path unreadable: a backend may
  // resolve `..` over a segment the decoding split. Anywhere: as sent, decoded once or twice (`%2e` a
  // dot), and in every text a reading resolves, as it resolves it (folded too, `;` parameters
  // dropped): `..;x`, `.<tab>.`, `．．` and `‥` are `..` to some reading.
  const dotted =
    [path, once, twice].some((text) => text.split(/[/\\]/).some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) ||
    texts.some(([text, urlDots]) =>
      [text, fold(text)].some((form) =>
        form
          .replaceAll('\\', '/')
          .split('/')
          .some((piece) => isDotSegment(piece, urlDots)),
      ),
    );
  for (const m of methods) {
    for (const reading of readings) {
      if (slashesMayBeEscaped && (dotted || reading.segments.length > 8)) {
        // Too long to regroup: every scope the method's rules name, and the default scopes.
        for (const scope of defaultScopes) needed.add(scope);
        for (const rule of rules) {
          if (rule.method.toUpperCase() === m || rule.method.toUpperCase() === 'ANY') {
            for (const scope of rule.scopes) needed.add(scope);
          }
        }
        continue;
      }
      const groupings = slashesMayBeEscaped ? allGroupings(reading.segments) : [reading.segments];
      for (const segments of groupings) {
        for (const scope of mostSpecific(rules, defaultScopes, m, segments, reading.folded)) needed.add(scope);
      }
    }
  }
  return needed;
}

/** A decoded `/` may have been `%2F`: each subset of the gaps between segments closed up. */
function allGroupings(segments: readonly string[]): string[][] {
  if (segments.length < 2) return [[...segments]];
  const out: string[][] = [];
  for (let mask = 0; mask < 2 ** (segments.length - 1); mask++) {
    const grouped: string[] = [segments[0] as string];
    for (let gap = 0; gap < segments.length - 1; gap++) {
      const next = segments[gap + 1] as string;
      if (mask & (1 << gap)) grouped[grouped.length - 1] += `/${next}`;
      else grouped.push(next);
    }
    out.push(grouped);
  }
  return out;
}

/** Every `%XX` a byte, everything else its UTF-8 bytes, read back as UTF-8 with U+FFFD for bad bytes (Node's Buffer). */
function bytewiseDecode(path: string): string {
  const pieces = path.split(/(%[0-9a-fA-F]{2})/);
  const bytes = pieces.flatMap((piece) =>
    /^%[0-9a-fA-F]{2}$/.test(piece) ? [Number.parseInt(piece.slice(1), 16)] : [...Buffer.from(piece, 'utf8')],
  );
  return Buffer.from(bytes).toString('utf8');
}

function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').replaceAll('ı', 'i');
}

function cleaned(segment: string): string {
  const head = segment.split('\u0000')[0] ?? '';
  if (/^\.+$/.test(head)) return head;
  let end = head.length;
  while (end > 0 && (head[end - 1] === '.' || head[end - 1] === ' ')) end--;
  return head.slice(0, end);
}

/** WHATWG URL: a parser strips "C0 control or space" (U+0000 to U+0020) from the end of its input. */
function withoutTrailingC0OrSpace(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(0, end);
}

/** Whether a reading takes `piece` for `.` or `..` (`;` parameters dropped; `%2e` a dot to a URL parser). */
function isDotSegment(piece: string, urlDots: boolean): boolean {
  const segment = piece.split(';')[0] ?? '';
  const dotted = urlDots && /^(\.|%2e){1,2}$/i.test(segment) ? segment.replace(/%2e/gi, '.') : segment;
  return dotted === '.' || dotted === '..';
}

function resolved(text: string, folded: boolean, urlDots: boolean): string[] {
  const out: string[] = [];
  for (const piece of text.replaceAll('\\', '/').split('/')) {
    let segment = piece.split(';')[0] ?? '';
    // A URL parser takes `%2e` for a dot in a dot segment.
    const dotted = urlDots && /^(\.|%2e){1,2}$/i.test(segment) ? segment.replace(/%2e/gi, '.') : segment;
    if (folded && dotted !== '.' && dotted !== '..') segment = cleaned(segment);
    if (segment === '' || dotted === '.') continue;
    if (dotted === '..') out.splice(-1, 1);
    else out.push(segment);
  }
  return out;
}

interface Candidate {
  readonly key: number[];
  readonly scopes: readonly string[];
}

function mostSpecific(
  rules: readonly RouteScopeRule[],
  defaultScopes: readonly string[],
  method: string,
  segments: readonly string[],
  folded: boolean,
): readonly string[] {
  const candidates: Candidate[] = [];
  for (const rule of rules) {
    const ruleMethod = rule.method.toUpperCase();
    if (ruleMethod !== 'ANY' && ruleMethod !== method) continue;
    const parts = rule.path.split('/').filter(Boolean);
    const greedy = parts.length > 0 && (parts[parts.length - 1] as string).endsWith('+}');
    const fixed = greedy ? parts.slice(0, -1) : parts;
    if (greedy ? segments.length < fixed.length : segments.length !== fixed.length) continue;
    const key: number[] = [];
    let ok = true;
    fixed.forEach((part, index) => {
      if (part.startsWith('{')) key.push(2);
      else if ((folded ? cleaned(fold(part)) : part) === segments[index]) key.push(3);
      else ok = false;
    });
    if (!ok) continue;
    while (key.length < segments.length) key.push(1);
    key.push(greedy ? 0 : 1, ruleMethod === 'ANY' ? 0 : 1);
    candidates.push({ key, scopes: rule.scopes });
  }
  if (candidates.length === 0) return defaultScopes;
  candidates.sort((x, y) => compareKeys(y.key, x.key));
  const best = candidates[0] as Candidate;
  return candidates.filter((candidate) => compareKeys(candidate.key, best.key) === 0).flatMap((c) => c.scopes);
}

function compareKeys(x: readonly number[], y: readonly number[]): number {
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return 0;
}
