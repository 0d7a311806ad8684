import { HttpIntrospector } from '../../lambda/adapters/http-introspector.ts';
import { type BenchContext, scaled } from '../harness/context.ts';
import { benchTokenStore, ROUTE } from '../harness/local-parts.ts';
import { compareSideBySide, ratioRows } from '../harness/measure.ts';
import { fetchJwks, RawJwtVerifier } from '../harness/raw-jwt.ts';
import { formatRatio, type SectionResult } from '../harness/report.ts';
import { createBenchResolver, expectAllow } from '../harness/resolver.ts';

const SECTION = 'phantom miss';
/** Budget: ours at most this multiple of raw introspection + raw verify. */
const LIMIT_RATIO = 1.1;

const OURS = 'ours: resolver, split + introspection';
const RAW = 'raw introspection fetch + node:crypto verify (limit)';
const INTROSPECTOR = 'HttpIntrospector.introspect alone';

/**
 * An opaque (phantom) token whose resolution is not cached: the resolver as deployed (split path
 * on; an oidc-provider opaque token is too short to be a signature, so it goes straight to
 * introspection), against a raw RFC 9701 introspection `fetch` to the same oidc-provider and a
 * node:crypto verification of the signed answer.
 */
export async function benchPhantomMiss(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  const { as } = parts;
  const token = await parts.issuePhantomToken();
  const ours = createBenchResolver({
    as,
    store: benchTokenStore(parts),
    introspection: true,
    cacheMaxEntries: 0,
  });
  await expectAllow(ours, token, SECTION);
  const introspector = new HttpIntrospector({
    endpoint: as.introspectionEndpoint,
    clientId: as.clients.introspector.clientId,
    clientSecret: as.clients.introspector.clientSecret,
    responseFormat: 'token-introspection+jwt',
    timeoutMs: 2000,
  });

  const raw = new RawJwtVerifier(await fetchJwks(as.jwksUri), {
    issuer: as.issuer,
    audience: as.clients.introspector.clientId,
    type: 'token-introspection+jwt',
  });
  const basic = `Basic ${Buffer.from(`${as.clients.introspector.clientId}:${as.clients.introspector.clientSecret}`).toString('base64')}`;
  const rawMiss = async (): Promise<unknown> => {
    const response = await fetch(as.introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: basic,
        accept: 'application/token-introspection+jwt',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `token=${token}&token_type_hint=access_token`,
    });
    const claims = raw.verify(await response.text());
    const introspection = claims?.token_introspection as { active?: unknown } | undefined;
    if (introspection?.active !== true) throw new Error(`${SECTION}: raw introspection did not say active`);
    return introspection;
  };
  await rawMiss();

  const timings = await compareSideBySide(
    [
      { name: OURS, run: () => ours.resolve({ authorization: `Bearer ${token}`, targets: [ROUTE] }) },
      { name: RAW, run: rawMiss },
      { name: INTROSPECTOR, run: () => introspector.introspect(token) },
    ],
    scaled(context, { warmupIterations: 100, rounds: 125, iterationsPerRound: 5 }),
  );
  const rows = ratioRows(timings, SECTION, [OURS, INTROSPECTOR, RAW], RAW, 'limit');
  const ratio = timings.ratio(OURS, RAW);
  return {
    rows,
    budgets: [
      {
        budget: 'phantom miss',
        measured: `${formatRatio(ratio)} limit`,
        limit: `≤ ${formatRatio(LIMIT_RATIO)}`,
        ok: ratio <= LIMIT_RATIO,
      },
    ],
  };
}
