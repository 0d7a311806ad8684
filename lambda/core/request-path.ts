/**
 * How a request path may be read by whatever serves it. API Gateway passes non-canonical paths
 * (`/orders/`, `//orders`, `/a/./b`, `/a/%2e%2e/b`, `/%61dmin`) on to integrations, and backends
 * normalize them in different ways: most frameworks drop empty segments, many decode percent
 * escapes and resolve dot segments, some treat `\` as `/`, strip `;` parameters (servlets) or
 * ignore case. Route rules are applied to each reading and a request needs the scopes of all of
 * them, so no reading a backend may take opens a route the rules close.
 */

/** A path cut into its non-empty segments. */
export type PathSegments = readonly string[];

/** One reading of a path; a case-folded reading is matched against case-folded rule literals. */
export interface PathReading {
  readonly segments: PathSegments;
  readonly caseFolded: boolean;
}

/**
 * The readings of `path` that rules are matched against:
 * - as sent: split on `/`, empty segments dropped, nothing decoded;
 * - normalized: percent escapes decoded (invalid UTF-8 kept as sent), `\` read as `/`, `;`
 *   parameters removed, `.` and `..` segments resolved (never above the root), case folded.
 *
 * Matching the normalized reading against case-folded rule literals is the caller's part (see
 * `RouteScopePolicy`). Total over any string.
 */
export function pathReadings(path: string): readonly PathReading[] {
  return [
    { segments: path.split('/').filter((segment) => segment.length > 0), caseFolded: false },
    { segments: normalizePath(path), caseFolded: true },
  ];
}

/** The normalized reading of {@link pathReadings}. */
export function normalizePath(path: string): PathSegments {
  const decoded = decodePercentEscapes(path).toLowerCase();
  const resolved: string[] = [];
  for (const raw of decoded.split(/[/\\]/)) {
    const semicolon = raw.indexOf(';');
    const segment = semicolon < 0 ? raw : raw.slice(0, semicolon);
    if (segment.length === 0 || segment === '.') continue;
    if (segment === '..') {
      resolved.pop();
      continue;
    }
    resolved.push(segment);
  }
  return resolved;
}

/**
 * Decodes `%XX` escapes as UTF-8 once (as backends do; a double-encoded `%252e` stays `%2e`).
 * A run of escapes that is not valid UTF-8 is kept as sent.
 */
function decodePercentEscapes(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
