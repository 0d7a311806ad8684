/** One configured rule: calls of `method` on `path` need every scope in `scopes`. */
export interface RouteScopeRule {
  /** HTTP method, or `ANY`. */
  readonly method: string;
  /** Resource path as API Gateway writes it: `/orders/{id}`, `/files/{proxy+}`. */
  readonly path: string;
  readonly scopes: readonly string[];
}

/** The route a request is for: a resource template (`/orders/{id}`) or a concrete path (`/orders/42`). */
export interface RouteRef {
  readonly method: string;
  readonly path: string;
}

interface CompiledRule extends RouteScopeRule {
  readonly segments: readonly string[];
  /** Fewer parameters means more specific; the most specific matching rule wins. */
  readonly parameterCount: number;
}

const isParameter = (segment: string): boolean => segment.startsWith('{') && segment.endsWith('}');
const isGreedy = (segment: string): boolean => segment.endsWith('+}');
const splitPath = (path: string): string[] => path.split('/').filter((segment) => segment.length > 0);

/**
 * Which scopes a route needs. A template segment matches itself or, when it is a `{parameter}`,
 * any one concrete segment (`{proxy+}` matches the rest), so REST REQUEST events (templates),
 * REST TOKEN events (concrete paths from the method ARN) and HTTP API route keys all resolve the
 * same rules.
 */
export class RouteScopePolicy {
  readonly rules: readonly RouteScopeRule[];
  private readonly compiled: readonly CompiledRule[];
  private readonly defaultScopes: readonly string[];

  constructor(rules: readonly RouteScopeRule[], defaultScopes: readonly string[] = []) {
    this.rules = rules;
    this.defaultScopes = defaultScopes;
    this.compiled = rules.map((rule) => {
      const segments = splitPath(rule.path);
      return {
        ...rule,
        method: rule.method.toUpperCase(),
        segments,
        parameterCount: segments.filter(isParameter).length,
      };
    });
  }

  /** Scopes needed to call `route`: the most specific matching rule's, else the defaults. */
  requiredScopes(route: RouteRef): readonly string[] {
    const method = route.method.toUpperCase();
    const segments = splitPath(route.path);
    let best: CompiledRule | undefined;
    for (const rule of this.compiled) {
      if (rule.method !== 'ANY' && rule.method !== method) continue;
      if (!matches(rule.segments, segments)) continue;
      if (!best || specificity(rule) > specificity(best)) best = rule;
    }
    return best ? best.scopes : this.defaultScopes;
  }

  /** The configured rules whose scopes `granted` does not cover (a cached Allow must not open them). */
  rulesNotCoveredBy(granted: ReadonlySet<string>): readonly RouteScopeRule[] {
    return this.rules.filter((rule) => !hasScopes(granted, rule.scopes));
  }

  /** Whether `granted` may call the routes that no rule names. */
  coversDefaultRoutes(granted: ReadonlySet<string>): boolean {
    return hasScopes(granted, this.defaultScopes);
  }
}

function specificity(rule: CompiledRule): number {
  // An exact method beats ANY; fewer parameters beat more.
  return (rule.method === 'ANY' ? 0 : 1000) - rule.parameterCount * 10 + rule.segments.length;
}

function matches(pattern: readonly string[], path: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    if (isParameter(expected) && isGreedy(expected)) return path.length > i;
    const actual = path[i];
    if (actual === undefined) return false;
    if (actual !== expected && !isParameter(expected)) return false;
  }
  return pattern.length === path.length;
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
