import { JwtVerifier as AwsJwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { importJWK } from 'jose';
import { type TestAlgorithm, TestIssuer } from '../../test/support/test-issuer.ts';
import { type BenchContext, scaled } from '../harness/context.ts';
import { startJwksServer } from '../harness/jwks-server.ts';
import { compareSideBySide, ratioRows } from '../harness/measure.ts';
import { type BudgetCheck, formatRatio, type ResultRow, type SectionResult } from '../harness/report.ts';

const SECTION = 'JWT verification';
const ALGORITHMS: readonly TestAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
/** Budget: ours at most this multiple of raw node:crypto (RS256), and faster than aws-jwt-verify. */
const RS256_LIMIT_RATIO = 1.3;

const OURS_LOCAL = 'ours: JwtVerifier, static JWKS';
const OURS_REMOTE = 'ours: JwtVerifier, remote JWKS (warm)';
const OURS_WEB = 'ours: JwtVerifier, WebCrypto port (core default)';
const RAW = 'node:crypto verify + claims (limit)';
const AWS = 'aws-jwt-verify (JWKS cache hydrated)';
const SUBTLE = 'WebCrypto subtle.verify alone';

/** WebCrypto parameters of the signature primitive per algorithm (what the WebCrypto port calls). */
const SUBTLE_ALGORITHM: Record<TestAlgorithm, AlgorithmIdentifier | EcdsaParams> = {
  RS256: 'RSASSA-PKCS1-v1_5',
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: 'Ed25519',
};

/**
 * The same token verified six ways: our JwtVerifier wired as the authorizer wires it on Node
 * (node:crypto port) with a static JWKS and with the remote JWKS warmed, and with the core's
 * default WebCrypto port; raw node:crypto (the limit); aws-jwt-verify, hydrated from the same JWKS
 * server; and WebCrypto's `subtle.verify` alone, the floor of the WebCrypto port. Ours checks
 * more than the limit (allowlist, crit, canonical base64url, key fit, nbf, iat), never less.
 */
export async function benchJwtVerification(context: BenchContext): Promise<SectionResult> {
  const { JwtVerifier, nodeJoseCrypto, RawJwtVerifier } = context.code;
  const issuer = await TestIssuer.create({ issuer: 'https://issuer.bench.test', audience: 'https://api.bench.test' });
  const jwksServer = await startJwksServer(issuer.jwks);
  const rows: ResultRow[] = [];
  const budgets: BudgetCheck[] = [];
  try {
    const awsVerifier = AwsJwtVerifier.create(
      { issuer: issuer.issuer, audience: issuer.audience, jwksUri: jwksServer.jwksUri },
      { jwksCache: new SimpleJwksCache({ fetcher: { fetch: fetchArrayBuffer } }) },
    );
    await awsVerifier.hydrate();
    const raw = new RawJwtVerifier(issuer.jwks, { issuer: issuer.issuer, audience: issuer.audience, type: 'at+jwt' });
    const options = {
      issuer: issuer.issuer,
      jwksUri: jwksServer.jwksUri,
      allowedAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockSkewSeconds: 30,
    };
    const local = new JwtVerifier({ ...options, jwks: issuer.jwks, crypto: nodeJoseCrypto });
    const remote = new JwtVerifier({ ...options, crypto: nodeJoseCrypto });
    const web = new JwtVerifier({ ...options, jwks: issuer.jwks });
    const expectation = { audiences: [issuer.audience], type: 'at+jwt', requireExpiry: true };

    for (const alg of ALGORITHMS) {
      const jwt = await issuer.mint({}, { algorithm: alg, expiresInSeconds: 3600 });
      const cut = jwt.lastIndexOf('.');
      const signingInput = new TextEncoder().encode(jwt.slice(0, cut));
      const signature = Buffer.from(jwt.slice(cut + 1), 'base64url');
      const cryptoKey = (await importJWK(issuer.publicJwk(alg), alg)) as CryptoKey;
      const subtleAlgorithm = SUBTLE_ALGORITHM[alg];

      for (const [name, verified] of [
        [OURS_LOCAL, (await local.verify(jwt, expectation)).ok],
        [OURS_REMOTE, (await remote.verify(jwt, expectation)).ok],
        [OURS_WEB, (await web.verify(jwt, expectation)).ok],
        [RAW, raw.verify(jwt) !== undefined],
        [AWS, (await awsVerifier.verify(jwt)).sub !== undefined],
        [SUBTLE, await crypto.subtle.verify(subtleAlgorithm, cryptoKey, signature, signingInput)],
      ] as const) {
        if (!verified) throw new Error(`${SECTION}: ${name} did not accept a valid ${alg} token`);
      }

      const timings = await compareSideBySide(
        [
          { name: OURS_LOCAL, run: () => local.verify(jwt, expectation) },
          { name: OURS_REMOTE, run: () => remote.verify(jwt, expectation) },
          { name: OURS_WEB, run: () => web.verify(jwt, expectation) },
          { name: RAW, run: () => raw.verify(jwt) },
          { name: AWS, run: () => awsVerifier.verify(jwt) },
          { name: SUBTLE, run: () => crypto.subtle.verify(subtleAlgorithm, cryptoKey, signature, signingInput) },
        ],
        scaled(context, { warmupIterations: 1000, rounds: 40, iterationsPerRound: 100 }),
      );
      rows.push(
        ...ratioRows(timings, `${SECTION} ${alg}`, [OURS_REMOTE, OURS_LOCAL, OURS_WEB, AWS, SUBTLE, RAW], RAW, 'raw'),
      );
      if (alg === 'RS256') {
        const toRaw = timings.ratio(OURS_REMOTE, RAW);
        const toAws = timings.ratio(OURS_REMOTE, AWS);
        budgets.push(
          {
            budget: 'RS256 verify vs node:crypto',
            measured: `${formatRatio(toRaw)} raw`,
            limit: `≤ ${formatRatio(RS256_LIMIT_RATIO)}`,
            ok: toRaw <= RS256_LIMIT_RATIO,
          },
          {
            budget: 'RS256 verify vs aws-jwt-verify',
            measured: `${formatRatio(toAws)} aws-jwt-verify`,
            limit: '< 1.00×',
            ok: toAws < 1,
          },
        );
      }
    }
  } finally {
    await jwksServer.stop();
  }
  return { rows, budgets };
}

/** aws-jwt-verify's fetcher contract over global fetch (its default speaks https only). */
async function fetchArrayBuffer(uri: string): Promise<ArrayBuffer> {
  const response = await fetch(uri);
  if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
  return response.arrayBuffer();
}
