import { foldSegment, hasDotSegment, type PathReading, pathReadings } from './request-path.ts';

/** One configured rule: calls of `method` on paths matching `path` need every scope in `scopes`. */
export interface RouteScopeRule {
  /** HTTP method, or `ANY`. */
  readonly method: string;
  /**
   * A path template: literal segments, `{name}` for exactly one segment, and a last `{name+}` for
   * any number of further segments (none included). Rules may be finer than the API's routes.
   */
  readonly path: string;
  readonly scopes: readonly string[];
  /**
   * Step-up (RFC 9470): the token's `acr` must be one of these. Applies with the same
   * most-specific-rule selection as `scopes`. @default any authentication level
   */
  readonly acrValues?: readonly string[];
  /**
   * Step-up (RFC 9470): the user must have authenticated at most this many seconds ago (the
   * token's `auth_time`). @default no limit
   */
  readonly maxAgeSeconds?: number;
}

/**
 * What a request needs of the user's authentication (RFC 9470): every set in `acrSets` must hold
 * the token's `acr` (one set per applicable rule that names values), and `auth_time` must be at
 * most `maxAgeSeconds` old.
 */
export interface RequiredAuthentication {
  readonly acrSets: readonly (readonly string[])[];
  readonly maxAgeSeconds: number | undefined;
}

/**
 * A request as the client sent it: its HTTP method and its path relative to the API (stage and
 * base path removed, query removed), never a route key or resource template.
 */
export interface RequestTarget {
  readonly method: string;
  readonly path: string;
  /**
   * The path was percent-decoded by API Gateway before the authorizer saw it (HTTP APIs, both
   * payload versions): any `/` in it may have been `%2F` on the wire, which a backend behind an HTTP
   * integration receives as sent and routes as part of one segment. Rules then apply to every way
   * of grouping the segments back.
   * @default false
   */
  readonly slashesMayBeEscaped?: boolean;
}

type TemplateSegment =
  | { readonly kind: 'literal'; readonly value: string; readonly folded: string }
  | { readonly kind: 'parameter' }
  | { readonly kind: 'greedy' };

interface CompiledRule {
  readonly method: string;
  readonly segments: readonly TemplateSegment[];
  readonly greedy: boolean;
  readonly scopes: readonly string[];
  readonly acrValues: readonly string[] | undefined;
  readonly maxAgeSeconds: number | undefined;
}

/** How well a rule matched: per path segment 3 literal, 2 parameter, 1 greedy; then the tie-breaks. */
interface Rank {
  readonly perSegment: readonly number[];
  readonly withoutGreedy: boolean;
  readonly exactMethod: boolean;
}

/** Why a rule is not usable; {@link RouteScopePolicy} refuses such rules at construction. */
export function routeRuleProblem(rule: RouteScopeRule): string | undefined {
  if (typeof rule.method !== 'string' || !/^[A-Za-z]+$/.test(rule.method)) return 'method must be a word, or ANY';
  if (typeof rule.path !== 'string' || !rule.path.startsWith('/')) return 'path must start with /';
  const segments = rule.path.split('/').filter((segment) => segment.length > 0);
  for (const [index, segment] of segments.entries()) {
    const braces = segment.includes('{') || segment.includes('}');
    if (!braces) {
      // A literal is matched against decoded, resolved readings: escapes, parameters and dot
      // segments in it could never match, and would make the rule silently dead.
      if (/[%;\\]/.test(segment) || segment === '.' || segment === '..') {
        return `segment ${segment} must be a plain literal (no %, ;, \\, . or ..)`;
      }
      continue;
    }
    if (!/^\{[A-Za-z0-9._-]+\+?\}$/.test(segment)) return `segment ${segment} must be a literal, {name} or {name+}`;
    if (segment.endsWith('+}') && index !== segments.length - 1) return `greedy ${segment} must be the last segment`;
  }
  if (!Array.isArray(rule.scopes) || !rule.scopes.every((scope) => typeof scope === 'string' && scope.length > 0)) {
    return 'scopes must be non-empty strings';
  }
  const { acrValues, maxAgeSeconds } = rule;
  if (
    acrValues !== undefined &&
    (!Array.isArray(acrValues) ||
      acrValues.length === 0 ||
      !acrValues.every((value) => typeof value === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value)))
  ) {
    return 'acrValues must be a non-empty list of values without spaces, quotes or backslashes';
  }
  if (maxAgeSeconds !== undefined && (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0)) {
    return 'maxAgeSeconds must be a whole number of seconds';
  }
  return undefined;
}

const MEMO_LIMIT = 4096;
/**
 * Paths of more segments than this, where a `/` may have been `%2F`, are not regrouped one way at a
 * time (2^(n-1) ways): they need every scope a rule of the method names, and the default scopes.
 */
const MAX_REGROUPED_SEGMENTS = 8;

/**
 * Which scopes a request needs. For each reading of the request's path (as sent, and normalized:
 * see {@link pathReadings}) the most specific matching rule applies, else the default scopes; the
 * request needs the scopes of every reading, so a path that some backend normalizes into a closed
 * route is closed too. A `HEAD` request also needs what `GET` needs (frameworks serve `HEAD` with
 * the `GET` handler).
 *
 * Most specific: compared segment by segment from the left, a literal beats `{name}`, which beats
 * `{name+}`; then a rule without a greedy segment beats one with; then an exact method beats
 * `ANY`. Equally specific rules that both match all apply.
 */
export class RouteScopePolicy {
  readonly rules: readonly RouteScopeRule[];
  readonly defaultScopes: readonly string[];
  private readonly compiled: readonly CompiledRule[];
  private readonly hasStepUp: boolean;
  /** Per target (see {@link keyOf}): what applies to it, worked out once. */
  private readonly memo = new Map<string, Applicable>();

  /** @throws TypeError naming the first unusable rule */
  constructor(rules: readonly RouteScopeRule[], defaultScopes: readonly string[] = []) {
    this.rules = rules;
    this.defaultScopes = defaultScopes;
    this.compiled = rules.map((rule) => {
      const problem = routeRuleProblem(rule);
      if (problem !== undefined) throw new TypeError(`Route rule ${rule.method} ${rule.path}: ${problem}`);
      const segments = rule.path
        .split('/')
        .filter((segment) => segment.length > 0)
        .map(compileSegment);
      return {
        method: rule.method.toUpperCase(),
        segments,
        greedy: segments.at(-1)?.kind === 'greedy',
        scopes: rule.scopes,
        acrValues: rule.acrValues,
        maxAgeSeconds: rule.maxAgeSeconds,
      };
    });
    this.hasStepUp = this.compiled.some((rule) => rule.acrValues !== undefined || rule.maxAgeSeconds !== undefined);
  }

  /** Every scope any of `targets` needs (the readings of one request from several event fields). */
  requiredScopes(targets: RequestTarget | readonly RequestTarget[]): readonly string[] {
    const list: readonly RequestTarget[] = Array.isArray(targets) ? targets : [targets as RequestTarget];
    if (list.length === 1) return this.applicableTo(list[0] as RequestTarget).scopes;
    const union = new Set<string>();
    for (const target of list) for (const scope of this.applicableTo(target).scopes) union.add(scope);
    return [...union];
  }

  /**
   * What the user's authentication must be for `targets` (RFC 9470 step-up): a lookup beside
   * {@link requiredScopes} over the same readings, methods and most-specific-rule selection, so
   * the rule whose scopes apply is the rule whose `acrValues` and `maxAgeSeconds` apply. No rule
   * matching a reading adds nothing (default scopes carry no step-up).
   */
  requiredAuthentication(targets: readonly RequestTarget[]): RequiredAuthentication | undefined {
    if (!this.hasStepUp) return undefined;
    const acrSets: (readonly string[])[] = [];
    let maxAgeSeconds: number | undefined;
    for (const target of targets) {
      for (const rule of this.applicableTo(target).rules) {
        if (rule.acrValues !== undefined) acrSets.push(rule.acrValues);
        if (rule.maxAgeSeconds !== undefined) maxAgeSeconds = Math.min(maxAgeSeconds ?? Infinity, rule.maxAgeSeconds);
      }
    }
    return acrSets.length === 0 && maxAgeSeconds === undefined ? undefined : { acrSets, maxAgeSeconds };
  }

  /** The most specific matches for a reading, ties included. */
  private mostSpecificRules(method: string, reading: PathReading): CompiledRule[] {
    let best: Rank | undefined;
    let rules: CompiledRule[] = [];
    for (const rule of this.compiled) {
      if (rule.method !== 'ANY' && rule.method !== method) continue;
      const perSegment = matchSegments(rule.segments, reading);
      if (perSegment === undefined) continue;
      const rank: Rank = { perSegment, withoutGreedy: !rule.greedy, exactMethod: rule.method !== 'ANY' };
      const order = best === undefined ? 1 : compareRanks(rank, best);
      if (order > 0) {
        best = rank;
        rules = [rule];
      } else if (order === 0) {
        rules.push(rule);
      }
    }
    return rules;
  }

  /** Every rule of `method` (its own and `ANY`). */
  private rulesOf(method: string): CompiledRule[] {
    return this.compiled.filter((rule) => rule.method === 'ANY' || rule.method === method);
  }

  private applicableTo(target: RequestTarget): Applicable {
    const key = `${target.slashesMayBeEscaped === true ? 1 : 0}${target.method}\u0000${target.path}`;
    let applicable = this.memo.get(key);
    if (applicable === undefined) {
      applicable = this.evaluate(target);
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(key, applicable);
    }
    return applicable;
  }

  /** One walk over the readings and methods: the rules that apply, and the scopes they (or the defaults) need. */
  private evaluate(target: RequestTarget): Applicable {
    const method = target.method.toUpperCase();
    const methods = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
    const scopes = new Set<string>();
    const rules = new Set<CompiledRule>();
    for (const reading of readingsOf(target)) {
      for (const candidate of methods) {
        const matched =
          reading === REGROUPED_TOO_MANY ? this.rulesOf(candidate) : this.mostSpecificRules(candidate, reading);
        if (reading === REGROUPED_TOO_MANY || matched.length === 0)
          for (const scope of this.defaultScopes) scopes.add(scope);
        for (const rule of matched) {
          rules.add(rule);
          for (const scope of rule.scopes) scopes.add(scope);
        }
      }
    }
    return { scopes: Object.freeze([...scopes]), rules: [...rules] };
  }
}

/** What applies to one request target: its rules (for step-up) and every scope it needs. */
interface Applicable {
  readonly scopes: readonly string[];
  readonly rules: readonly CompiledRule[];
}

/** Stands for the readings of a path too long (or too ambiguous) to regroup one way at a time. */
const REGROUPED_TOO_MANY: PathReading = Object.freeze({ segments: [], caseFolded: false });

/**
 * The readings rules apply to: the path's readings, and where a `/` may have been `%2F`, each of
 * them regrouped every way (adjacent segments joined by `/`, which only a `{name}` or `{name+}`
 * can match).
 */
function* readingsOf(target: RequestTarget): Generator<PathReading> {
  // `/a%2Fb/../admin` arrives as `/a/b/../admin`, which a backend reads as `/admin`: with a dot
  // segment no regrouping of the resolved segments is safe, so the request needs every scope.
  if (target.slashesMayBeEscaped === true && hasDotSegment(target.path)) {
    yield REGROUPED_TOO_MANY;
    return;
  }
  for (const reading of pathReadings(target.path)) {
    if (target.slashesMayBeEscaped !== true || reading.segments.length < 2) {
      yield reading;
    } else if (reading.segments.length > MAX_REGROUPED_SEGMENTS) {
      yield REGROUPED_TOO_MANY;
    } else {
      for (const segments of regroupings(reading.segments)) yield { segments, caseFolded: reading.caseFolded };
    }
  }
}

/** Every way of joining adjacent segments with `/`, the segments as they are among them. */
function regroupings(segments: readonly string[]): string[][] {
  let groupings: string[][] = [[segments[0] as string]];
  for (const segment of segments.slice(1)) {
    groupings = groupings.flatMap((grouping) => [
      [...grouping, segment],
      [...grouping.slice(0, -1), `${grouping.at(-1)}/${segment}`],
    ]);
  }
  return groupings;
}

function compileSegment(segment: string): TemplateSegment {
  if (segment.startsWith('{')) return segment.endsWith('+}') ? { kind: 'greedy' } : { kind: 'parameter' };
  return { kind: 'literal', value: segment, folded: foldSegment(segment) };
}

/** Per path segment, how it was matched; undefined when the template does not match. */
function matchSegments(template: readonly TemplateSegment[], reading: PathReading): number[] | undefined {
  const path = reading.segments;
  const perSegment: number[] = [];
  for (let i = 0; i < template.length; i++) {
    const part = template[i] as TemplateSegment;
    if (part.kind === 'greedy') {
      for (let rest = i; rest < path.length; rest++) perSegment.push(1);
      return perSegment;
    }
    const actual = path[i];
    if (actual === undefined) return undefined;
    if (part.kind === 'parameter') {
      perSegment.push(2);
    } else if (actual === (reading.caseFolded ? part.folded : part.value)) {
      perSegment.push(3);
    } else {
      return undefined;
    }
  }
  return template.length === path.length ? perSegment : undefined;
}

function compareRanks(a: Rank, b: Rank): number {
  const length = Math.max(a.perSegment.length, b.perSegment.length);
  for (let i = 0; i < length; i++) {
    const difference = (a.perSegment[i] ?? 0) - (b.perSegment[i] ?? 0);
    if (difference !== 0) return difference;
  }
  if (a.withoutGreedy !== b.withoutGreedy) return a.withoutGreedy ? 1 : -1;
  if (a.exactMethod !== b.exactMethod) return a.exactMethod ? 1 : -1;
  return 0;
}

/** Whether every scope in `required` is in `granted`. */
export function hasScopes(granted: ReadonlySet<string>, required: readonly string[]): boolean {
  for (const scope of required) if (!granted.has(scope)) return false;
  return true;
}

/** The scopes of a token: the space-separated `scope` claim (RFC 9068), or an `scp` array. */
export function scopesOf(claims: Readonly<Record<string, unknown>>): Set<string> {
  if (typeof claims.scope === 'string') return new Set(claims.scope.split(' ').filter(Boolean));
  if (Array.isArray(claims.scp)) return new Set(claims.scp.filter((s): s is string => typeof s === 'string'));
  return new Set();
}
