import { X509Certificate } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { generateKeyPair, generateProof } from 'dpop';
import { calculateJwkThumbprint, exportJWK, importJWK, SignJWT } from 'jose';
import { hashToken } from '../../lambda/core/token-hash.ts';
import type { AuthorizationRequest } from '../../lambda/core/token-resolver.ts';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS } from '../../local/dynamodb-client.ts';
import { createLocalCertificateAuthority } from '../../local/mutual-tls-certificates.ts';
import { createTokenTable } from '../../local/token-table.ts';
import { BENCH_REGION, ROUTE, TABLE_NAME } from '../harness/bench-constants.ts';
import { type BenchContext, scaled } from '../harness/context.ts';
import { compareSideBySide, ratioRows } from '../harness/measure.ts';
import type { SectionResult } from '../harness/report.ts';

const SECTION = 'sender-constrained';
const URI = 'https://api.example.test/v1/orders';
const REPLAY_TABLE = 'dpop-proofs';
const PUT_ITEM = 'DynamoDB_20120810.PutItem';
const REPLAY_PUT = 'replay table: conditional PutItem';
const RAW_PUT = 'raw node:https conditional PutItem, hand-signed SigV4 (limit)';
const SDK_PUT = 'AWS SDK conditional PutItem';

/**
 * What a binding costs per request, warm, with the token in the in-memory cache (as it is after the
 * first request: API Gateway's result cache is off, so every request reaches the function): a
 * Bearer split token, a DPoP-bound one (the proof verified: ES256 signature, `ath` and RFC 7638
 * thumbprint digests, replay memory), a certificate-bound one (the certificate's SHA-256); and the
 * shared replay table's conditional `PutItem` beside the same `PutItem` signed by hand and sent with
 * raw node:https on a keep-alive agent (the limit), and the AWS SDK's, against dynalite over TLS.
 * Timed on the bundled code, as the Lambda ships it.
 */
export async function benchSenderConstrained(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  const {
    benchTokenStore,
    createBenchResolver,
    DpopProofVerifier,
    MemoryProofReplayCache,
    nodeJoseCrypto,
    rawAgents,
    rawRequest,
    signDynamoDbRequest,
    SigV4DynamoDbProofReplayTable,
  } = context.code;
  const options = scaled(context, { warmupIterations: 300, rounds: 20, iterationsPerRound: 100 });
  const proofsNeeded = options.warmupIterations + options.rounds * options.iterationsPerRound;

  const keys = await generateKeyPair('ES256');
  const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
  const authority = createLocalCertificateAuthority();
  const certificate = authority.issueClient('bench-client');
  const x5t = Buffer.from(new X509Certificate(certificate.certPem).fingerprint256.replaceAll(':', ''), 'hex').toString(
    'base64url',
  );
  authority.remove();

  const db = createLocalDynamoDbClient({ endpoint: parts.dynamo.endpoint, region: BENCH_REGION });
  const bearer = await parts.issueSplitToken();
  const dpopBound = await splitTokenWith(parts, db, { cnf: { jkt } });
  const certificateBound = await splitTokenWith(parts, db, { cnf: { 'x5t#S256': x5t } });

  const replay = new MemoryProofReplayCache({ maxEntries: 1_000_000, clock: Date.now });
  const verifier = new DpopProofVerifier({
    allowedAlgorithms: ['ES256'],
    maxAgeSeconds: 300,
    clockSkewSeconds: 30,
    replay,
    crypto: nodeJoseCrypto,
    clock: Date.now,
  });
  const resolver = createBenchResolver({
    parts,
    store: benchTokenStore(parts),
    introspection: false,
    cacheMaxEntries: 10_000,
    dpop: verifier,
  });
  // Proofs are single use: made before timing starts (the client's cost, not the gateway's).
  const proofs: string[] = [];
  for (let i = 0; i < 2 * proofsNeeded; i++) proofs.push(await generateProof(keys, URI, 'GET', undefined, dpopBound));
  let nextProof = 0;
  const requestFor = (authorization: string, extra: Partial<AuthorizationRequest> = {}): AuthorizationRequest => ({
    authorization,
    targets: [ROUTE],
    method: 'GET',
    requestUri: URI,
    ...extra,
  });
  const expectAllow = async (request: AuthorizationRequest, what: string) => {
    const decision = await resolver.resolve(request);
    if (decision.effect !== 'allow') throw new Error(`${what}: expected an allow, got ${decision.reason}`);
  };
  await expectAllow(requestFor(`Bearer ${bearer.opaque}`), 'Bearer');
  await expectAllow(requestFor(`DPoP ${dpopBound}`, { dpopProof: proofs[nextProof++] }), 'DPoP');
  await expectAllow(requestFor(`Bearer ${certificateBound}`, { clientCertificatePem: certificate.certPem }), 'mTLS');

  await createTokenTable({
    endpoint: parts.dynamo.endpoint,
    tableName: REPLAY_TABLE,
    keyAttribute: 'proof_id',
    region: BENCH_REGION,
  });
  const replayTable = new SigV4DynamoDbProofReplayTable({
    tableName: REPLAY_TABLE,
    region: BENCH_REGION,
    endpoint: parts.endpoints.dynamoDb,
    credentials: LOCAL_CREDENTIALS,
    timeoutMs: 2000,
  });
  let putCount = 0;
  const expiresAt = () => Date.now() + 60_000;
  const endpoint = new URL(parts.endpoints.dynamoDb);
  const agents = rawAgents();
  const sdk = createLocalDynamoDbClient({ endpoint: parts.endpoints.dynamoDb, region: BENCH_REGION });
  // The same conditional write as the replay table's, signed by hand and sent with raw node:https.
  const rawPut = async (proofId: string) => {
    const body = JSON.stringify({
      TableName: REPLAY_TABLE,
      Item: { proof_id: { S: proofId }, expires_at: { N: String(Math.ceil(expiresAt() / 1000)) } },
      ConditionExpression: 'attribute_not_exists(#id) OR #exp < :now',
      ExpressionAttributeNames: { '#id': 'proof_id', '#exp': 'expires_at' },
      ExpressionAttributeValues: { ':now': { N: String(Math.floor(Date.now() / 1000)) } },
    });
    const headers = signDynamoDbRequest(LOCAL_CREDENTIALS, BENCH_REGION, endpoint.host, PUT_ITEM, body);
    const answer = await rawRequest(agents, endpoint.href, { method: 'POST', headers, body });
    if (answer.status !== 200) throw new Error(`${SECTION}: raw PutItem answered ${answer.status}`);
  };

  const timings = await compareSideBySide(
    [
      { name: 'Bearer split token, cache hit', run: () => resolver.resolveNow(requestFor(`Bearer ${bearer.opaque}`)) },
      {
        name: 'DPoP-bound, cache hit + proof',
        run: () => resolver.resolveNow(requestFor(`DPoP ${dpopBound}`, { dpopProof: proofs[nextProof++] })),
      },
      {
        name: 'certificate-bound, cache hit + certificate',
        run: () =>
          resolver.resolveNow(requestFor(`Bearer ${certificateBound}`, { clientCertificatePem: certificate.certPem })),
      },
      {
        name: 'of which: DpopProofVerifier.verify',
        run: () =>
          verifier.verify({
            proof: proofs[nextProof++] as string,
            method: 'GET',
            uri: URI,
            accessToken: dpopBound,
            jkt,
          }),
      },
      {
        name: REPLAY_PUT,
        run: () => replayTable.firstUse(`bench.${putCount++}`, expiresAt()),
      },
      { name: RAW_PUT, run: () => rawPut(`raw.${putCount++}`) },
      {
        name: SDK_PUT,
        run: () =>
          sdk.send(
            new PutItemCommand({
              TableName: REPLAY_TABLE,
              Item: { proof_id: { S: `sdk.${putCount++}` }, expires_at: { N: String(Math.ceil(expiresAt() / 1000)) } },
              ConditionExpression: 'attribute_not_exists(proof_id)',
            }),
          ),
      },
    ],
    options,
  );
  db.destroy();
  sdk.destroy();
  const resolverCases = [
    'Bearer split token, cache hit',
    'DPoP-bound, cache hit + proof',
    'certificate-bound, cache hit + certificate',
    'of which: DpopProofVerifier.verify',
  ];
  return {
    rows: [
      ...ratioRows(timings, SECTION, resolverCases, 'Bearer split token, cache hit', 'Bearer cache hit'),
      ...ratioRows(timings, SECTION, [REPLAY_PUT, RAW_PUT, SDK_PUT], RAW_PUT, 'raw PutItem'),
    ],
    budgets: [],
  };
}

/** A split token of the authorization server's own key with extra claims, its record written. */
async function splitTokenWith(
  parts: BenchContext['parts'],
  db: ReturnType<typeof createLocalDynamoDbClient>,
  claims: Record<string, unknown>,
): Promise<string> {
  const jwk = parts.as.keys.find((key) => key.alg === 'RS256');
  if (jwk === undefined) throw new Error('no RS256 key');
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({
    client_id: parts.as.clients.split.clientId,
    scope: 'orders:read',
    jti: crypto.randomUUID(),
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })
    .setIssuer(parts.as.issuer)
    .setAudience(parts.as.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(await importJWK(jwk, 'RS256'));
  const cut = jwt.lastIndexOf('.');
  const opaque = jwt.slice(cut + 1);
  await db.send(
    new PutItemCommand({
      TableName: TABLE_NAME,
      Item: {
        hashed_signature: { S: await hashToken(opaque, 'SHA-256') },
        head_and_body: { S: jwt.slice(0, cut) },
        expiration: { N: String(now + 3600) },
      },
    }),
  );
  return opaque;
}
