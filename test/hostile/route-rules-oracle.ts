import type { RouteScopeRule } from '../../lambda/core/route-scopes.ts';

/**
 * The meaning of route rules, restated for tests without the authorizer's code (README, "Route
 * rules"): a path is read twice, as sent (split on `/`, empty segments dropped) and normalized
 * (percent escapes decoded once, `\` as `/`, `;` parameters dropped, `.`/`..` resolved within the
 * root, lower case); for each reading the most specific matching rule applies (segment by segment a
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
  const readings: { segments: string[]; folded: boolean }[] = [
    { segments: path.split('/').filter(Boolean), folded: false },
    { segments: normalized(path), folded: true },
  ];
  for (const m of methods) {
    for (const reading of readings) {
      for (const scope of mostSpecific(rules, defaultScopes, m, reading.segments, reading.folded)) needed.add(scope);
    }
  }
  return needed;
}

function normalized(path: string): string[] {
  let decoded = '';
  let i = 0;
  while (i < path.length) {
    // Collect a run of %XX escapes and decode it as UTF-8 in one go, else keep it.
    let run = '';
    while (i + 3 <= path.length && path[i] === '%' && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      run += path.slice(i, i + 3);
      i += 3;
    }
    if (run.length > 0) {
      try {
        decoded += decodeURIComponent(run);
      } catch {
        decoded += run;
      }
      continue;
    }
    decoded += path[i];
    i++;
  }
  const out: string[] = [];
  for (const piece of decoded.toLowerCase().replaceAll('\\', '/').split('/')) {
    const segment = piece.split(';')[0] ?? '';
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
      else if ((folded ? part.toLowerCase() : part) === segments[index]) key.push(3);
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
