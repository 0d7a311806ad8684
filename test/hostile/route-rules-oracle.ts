import type { RouteScopeRule } from '../../lambda/core/route-scopes.ts';

/**
 * The meaning of route rules, restated for tests without the authorizer's code (README, "Route
 * rules"): a path is read as sent (split on `/`, empty segments dropped), decoded byte by byte once
 * and twice (`\` as `/`, `;` parameters dropped, `.`/`..` resolved within the root), and each
 * decoded form also folded (NFKC, lower case, marks dropped, `ı` as `i`, a segment cut at NUL and
 * stripped of trailing dots and spaces); each of these also with tab, LF and CR removed (as URL
 * parsers read them); for each reading the most specific matching rule applies (segment by segment a
 * literal over `{x}` over `{x+}`, then no greedy segment over one, then a method over `ANY`; ties
 * all apply), else the default scopes; `HEAD` also counts as `GET`; the request needs every scope
 * any of that names.
 */
export function requiredScopesOracle(
  rules: readonly RouteScopeRule[],
  defaultScopes: readonly string[],
  method: string,
  path: string,
): Set<string> {
  const needed = new Set<string>();
  const methods = method.toUpperCase() === 'HEAD' ? ['HEAD', 'GET'] : [method.toUpperCase()];
  // A WHATWG URL parser removes every tab, LF and CR; a reading with and one without them.
  const alsoParsed = (text: string): string[] => [
    text,
    text.replaceAll('\t', '').replaceAll('\n', '').replaceAll('\r', ''),
  ];
  const readings: { segments: string[]; folded: boolean }[] = alsoParsed(path).map((text) => ({
    segments: text.split('/').filter(Boolean),
    folded: false,
  }));
  const once = bytewiseDecode(path);
  const twice = bytewiseDecode(once);
  for (const decoded of [once, twice].flatMap(alsoParsed)) {
    readings.push({ segments: resolved(decoded, false), folded: false });
    readings.push({ segments: resolved(fold(decoded), true), folded: true });
  }
  for (const m of methods) {
    for (const reading of readings) {
      for (const scope of mostSpecific(rules, defaultScopes, m, reading.segments, reading.folded)) needed.add(scope);
    }
  }
  return needed;
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

function resolved(text: string, folded: boolean): string[] {
  const out: string[] = [];
  for (const piece of text.replaceAll('\\', '/').split('/')) {
    let segment = piece.split(';')[0] ?? '';
    if (folded && segment !== '.' && segment !== '..') segment = cleaned(segment);
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.splice(-1, 1);
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
