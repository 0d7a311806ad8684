import { ROUTE } from '../harness/bench-constants.ts';
import { type ConnectionCount, connectionsPer } from '../harness/connections.ts';
import { type BenchContext, scaled } from '../harness/context.ts';
import { compareSideBySide, ratioRows } from '../harness/measure.ts';
import { fetchJwks } from '../harness/raw-jwt.ts';
import { formatRatio, type ResultRow, type SectionResult } from '../harness/report.ts';

const SECTION = 'phantom miss';
/** Budget: ours at most this multiple of raw node:https introspection + raw verify. */
const LIMIT_RATIO = 1.1;

const OURS = 'ours: resolver, split + introspection (NodeHttpClient)';
const OURS_FETCH = 'ours over fetch (the core default, and before issue 14)';
const LIMIT = 'raw node:https introspection, keep-alive + node:crypto verify (limit)';
const RAW_FETCH = 'raw fetch introspection + node:crypto verify';
const PEER = 'raw node:https introspection, answer decoded, not verified (a peer)';
const INTROSPECTOR = 'HttpIntrospector.introspect alone (NodeHttpClient)';
const RAW_ROUND_TRIP = 'raw node:https introspection round trip alone';

/**
 * An opaque (phantom) token whose resolution is not cached: the resolver as the Lambda wires it
 * (split path on; an oidc-provider opaque token is too short to be a signature, so it goes straight
 * to introspection), over TLS to oidc-provider, against the least work that does the same: an RFC
 * 9701 introspection POST with raw node:https on a keep-alive agent and a node:crypto verification
 * of the signed answer. Also: the same two over fetch, and each round trip alone.
 */
export async function benchPhantomMiss(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  const { as, endpoints } = parts;
  const {
    benchTokenStore,
    createBenchResolver,
    expectAllow,
    fetchHttpClient,
    HttpIntrospector,
    NodeHttpClient,
    rawAgents,
    rawRequest,
    RawJwtVerifier,
  } = context.code;
  const token = await parts.issuePhantomToken();
  const store = benchTokenStore(parts);
  const ours = createBenchResolver({ parts, store, introspection: true, cacheMaxEntries: 0 });
  const oursFetch = createBenchResolver({
    parts,
    store,
    introspection: true,
    cacheMaxEntries: 0,
    http: fetchHttpClient(),
  });
  await expectAllow(ours, token, SECTION);
  await expectAllow(oursFetch, token, `${SECTION} (fetch)`);
  const introspector = new HttpIntrospector({
    endpoint: endpoints.introspectionEndpoint,
    clientId: as.clients.introspector.clientId,
    clientSecret: as.clients.introspector.clientSecret,
    responseFormat: 'token-introspection+jwt',
    timeoutMs: 2000,
    http: new NodeHttpClient(),
  });

  const raw = new RawJwtVerifier(await fetchJwks(endpoints.jwksUri), {
    issuer: as.issuer,
    audience: as.clients.introspector.clientId,
    type: 'token-introspection+jwt',
  });
  const basic = `Basic ${Buffer.from(`${as.clients.introspector.clientId}:${as.clients.introspector.clientSecret}`).toString('base64')}`;
  const headers = {
    authorization: basic,
    accept: 'application/token-introspection+jwt',
    'content-type': 'application/x-www-form-urlencoded',
  };
  const body = `token=${token}&token_type_hint=access_token`;
  const agents = rawAgents();
  const rawRoundTrip = () =>
    rawRequest(agents, endpoints.introspectionEndpoint, { method: 'POST', headers, body }).then(
      (answer) => answer.body,
    );
  const fetchRoundTrip = async () =>
    (await fetch(endpoints.introspectionEndpoint, { method: 'POST', headers, body })).text();
  const verified = (jwt: string): unknown => {
    const introspection = raw.verify(jwt)?.token_introspection as { active?: unknown } | undefined;
    if (introspection?.active !== true) throw new Error(`${SECTION}: raw introspection did not say active`);
    return introspection;
  };
  const limit = async () => verified(await rawRoundTrip());
  const peer = async () => {
    const payload = (await rawRoundTrip()).split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { token_introspection?: unknown };
    if ((claims.token_introspection as { active?: unknown } | undefined)?.active !== true) {
      throw new Error(`${SECTION}: the decoded answer did not say active`);
    }
    return claims;
  };
  const rawFetch = async () => verified(await fetchRoundTrip());
  await limit();
  await rawFetch();
  const resolve = (resolver: typeof ours) => () =>
    resolver.resolve({ authorization: `Bearer ${token}`, targets: [ROUTE] });

  const timings = await compareSideBySide(
    [
      { name: OURS, run: resolve(ours) },
      { name: LIMIT, run: limit },
      { name: OURS_FETCH, run: resolve(oursFetch) },
      { name: RAW_FETCH, run: rawFetch },
      { name: PEER, run: peer },
      { name: INTROSPECTOR, run: () => introspector.introspect(token) },
      { name: RAW_ROUND_TRIP, run: rawRoundTrip },
    ],
    scaled(context, { warmupIterations: 100, rounds: 125, iterationsPerRound: 5 }),
  );
  const opened: Record<string, ConnectionCount> = {
    [OURS]: await connectionsPer(parts.fronts.as, resolve(ours)),
    [LIMIT]: await connectionsPer(parts.fronts.as, limit),
    [OURS_FETCH]: await connectionsPer(parts.fronts.as, resolve(oursFetch)),
  };
  const rows: ResultRow[] = [
    ...ratioRows(timings, SECTION, [OURS, OURS_FETCH, RAW_FETCH, PEER, LIMIT], LIMIT, 'limit'),
    ...ratioRows(timings, SECTION, [INTROSPECTOR, RAW_ROUND_TRIP], RAW_ROUND_TRIP, 'raw round trip'),
  ].map((row) => {
    const count = opened[row.case];
    return count === undefined ? row : { ...row, detail: count.detail, figures: { connectionsPerMiss: count.perCall } };
  });
  const ratio = timings.ratio(OURS, LIMIT);
  return {
    rows,
    budgets: [
      {
        budget: 'phantom miss (vs raw node:https + node:crypto)',
        measured: `${formatRatio(ratio)} limit`,
        limit: `≤ ${formatRatio(LIMIT_RATIO)}`,
        ok: ratio <= LIMIT_RATIO,
      },
    ],
  };
}
