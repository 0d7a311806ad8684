import { createHash } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsV4Signer } from 'aws4fetch';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS } from '../../local/dynamodb-client.ts';
import { BENCH_REGION, ROUTE, TABLE_NAME } from '../harness/bench-constants.ts';
import { type ConnectionCount, connectionsPer } from '../harness/connections.ts';
import { type BenchContext, scaled } from '../harness/context.ts';
import { compareSideBySide, ratioRows } from '../harness/measure.ts';
import { NodeSha256 } from '../harness/node-sha256.ts';
import { fetchJwks } from '../harness/raw-jwt.ts';
import { type BudgetCheck, formatRatio, type ResultRow, type SectionResult } from '../harness/report.ts';

const SECTION = 'split miss';
const SIGNING_SECTION = 'SigV4 signing';
/** Budget: ours at most this multiple of raw GetItem + raw verify. */
const LIMIT_RATIO = 1.1;

const OURS = 'ours: resolver, SigV4 store (as wired)';
const LIMIT = 'SHA-256 + raw node:https GetItem, hand-signed + node:crypto verify (limit)';
const STORE = 'SigV4DynamoDbTokenStore.getRecord alone';
const RAW_GET = 'raw node:https GetItem alone, hand-signed SigV4';
const SDK_GET = 'AWS SDK GetItem alone';

const SIGN_RAW = 'hand-written SigV4 on node:crypto (limit)';
const SIGN_SMITHY = '@smithy/signature-v4 + node:crypto hashes (ours)';
const SIGN_AWS4FETCH = 'aws4fetch (WebCrypto HMAC)';
const GET_ITEM = 'DynamoDB_20120810.GetItem';

/**
 * A split token whose resolution is not cached: hash, GetItem from dynalite over TLS, glue, verify.
 * Ours (the resolver with the SigV4 store, as the authorizer wires it) against the least work that
 * does the same: a node:crypto hash, a GetItem with the same projection signed by hand (SigV4 on
 * node:crypto) and sent with raw node:https on a keep-alive agent, a node:crypto verification. Also
 * each GetItem alone, the AWS SDK's for reference, and the per-request cost of each signer.
 */
export async function benchSplitMiss(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  const {
    benchTokenStore,
    createBenchResolver,
    expectAllow,
    hashToken,
    rawAgents,
    rawRequest,
    RawJwtVerifier,
    signDynamoDbRequest,
  } = context.code;
  const token = await parts.issueSplitToken();
  const key = await hashToken(token.opaque, 'SHA-256');
  const sdkClient = createLocalDynamoDbClient({ endpoint: parts.endpoints.dynamoDb, region: BENCH_REGION });
  const store = benchTokenStore(parts);
  const ours = createBenchResolver({ parts, store, introspection: false, cacheMaxEntries: 0 });
  await expectAllow(ours, token.opaque, SECTION);

  const raw = new RawJwtVerifier(await fetchJwks(parts.endpoints.jwksUri), {
    issuer: parts.as.issuer,
    audience: parts.as.audience,
    type: 'at+jwt',
  });
  const endpoint = new URL(parts.endpoints.dynamoDb);
  const agents = rawAgents();
  const getItemBody = (hashedSignature: string) =>
    JSON.stringify({
      TableName: TABLE_NAME,
      Key: { hashed_signature: { S: hashedSignature } },
      ProjectionExpression: '#hb, #exp',
      ExpressionAttributeNames: { '#hb': 'head_and_body', '#exp': 'expiration' },
    });
  const rawGet = async (hashedSignature: string) => {
    const body = getItemBody(hashedSignature);
    const headers = signDynamoDbRequest(LOCAL_CREDENTIALS, BENCH_REGION, endpoint.host, GET_ITEM, body);
    const answer = await rawRequest(agents, endpoint.href, { method: 'POST', headers, body });
    return JSON.parse(answer.body) as { Item?: Record<string, { S?: string }> };
  };
  const sdkGet = (hashedSignature: string) =>
    sdkClient.send(
      new GetItemCommand({
        TableName: TABLE_NAME,
        Key: { hashed_signature: { S: hashedSignature } },
        ProjectionExpression: '#hb, #exp',
        ExpressionAttributeNames: { '#hb': 'head_and_body', '#exp': 'expiration' },
      }),
    );
  const limit = async (): Promise<unknown> => {
    const hashed = createHash('sha256').update(token.opaque).digest('base64');
    const item = (await rawGet(hashed)).Item;
    const claims = raw.verify(`${item?.head_and_body?.S}.${token.opaque}`);
    if (claims === undefined) throw new Error(`${SECTION}: raw verification failed`);
    return claims;
  };
  await limit();
  const resolve = () => ours.resolve({ authorization: `Bearer ${token.opaque}`, targets: [ROUTE] });

  const timings = await compareSideBySide(
    [
      { name: OURS, run: resolve },
      { name: LIMIT, run: limit },
      { name: STORE, run: () => store.getRecord(key) },
      { name: RAW_GET, run: () => rawGet(key) },
      { name: SDK_GET, run: () => sdkGet(key) },
    ],
    scaled(context, { warmupIterations: 200, rounds: 150, iterationsPerRound: 5 }),
  );
  const opened: Record<string, ConnectionCount> = {
    [OURS]: await connectionsPer(parts.fronts.dynamoDb, resolve),
    [LIMIT]: await connectionsPer(parts.fronts.dynamoDb, limit),
  };
  const rows: ResultRow[] = [
    ...ratioRows(timings, SECTION, [OURS, LIMIT], LIMIT, 'limit'),
    ...ratioRows(timings, SECTION, [STORE, SDK_GET, RAW_GET], RAW_GET, 'raw GetItem'),
  ].map((row) => {
    const count = opened[row.case];
    return count === undefined ? row : { ...row, detail: count.detail, figures: { connectionsPerMiss: count.perCall } };
  });
  rows.push(...(await benchSigning(context, endpoint, signDynamoDbRequest)));
  sdkClient.destroy();

  const ratio = timings.ratio(OURS, LIMIT);
  const budgets: BudgetCheck[] = [
    {
      budget: 'split miss (vs raw node:https + node:crypto)',
      measured: `${formatRatio(ratio)} limit`,
      limit: `≤ ${formatRatio(LIMIT_RATIO)}`,
      ok: ratio <= LIMIT_RATIO,
    },
  ];
  return { rows, budgets };
}

/**
 * Per-request signing of the same GetItem: by hand on node:crypto (the limit's), the SDK's signer
 * over node:crypto (the store's), and aws4fetch. The hand-written one must give the SDK signer's
 * signature, or the limit would be cheating.
 */
async function benchSigning(
  context: BenchContext,
  url: URL,
  signDynamoDbRequest: BenchContext['code']['signDynamoDbRequest'],
): Promise<ResultRow[]> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'session' };
  const body = JSON.stringify({
    TableName: TABLE_NAME,
    Key: { hashed_signature: { S: 'x'.repeat(44) } },
    ProjectionExpression: '#hb, #exp',
    ExpressionAttributeNames: { '#hb': 'head_and_body', '#exp': 'expiration' },
  });
  const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': GET_ITEM };
  const smithy = new SignatureV4({
    service: 'dynamodb',
    region: BENCH_REGION,
    credentials,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const smithySign = (signingDate?: Date) =>
    smithy.sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        query: {},
        headers: { ...headers, host: url.host },
        body,
      },
      signingDate ? { signingDate } : {},
    );
  const at = new Date();
  const bySdk = (await smithySign(at)).headers.authorization;
  const byHand = signDynamoDbRequest(credentials, BENCH_REGION, url.host, GET_ITEM, body, at).authorization;
  if (bySdk !== byHand) throw new Error(`${SIGNING_SECTION}: the hand-written SigV4 differs from the SDK signer's`);

  // One shared cache, as an AwsClient keeps it, so the signing key is derived once a day.
  const aws4fetchCache = new Map<string, ArrayBuffer>();
  const timings = await compareSideBySide(
    [
      { name: SIGN_RAW, run: () => signDynamoDbRequest(credentials, BENCH_REGION, url.host, GET_ITEM, body) },
      { name: SIGN_SMITHY, run: () => smithySign() },
      {
        name: SIGN_AWS4FETCH,
        run: () =>
          new AwsV4Signer({
            method: 'POST',
            url: url.href,
            headers,
            body,
            ...credentials,
            service: 'dynamodb',
            region: BENCH_REGION,
            cache: aws4fetchCache,
          }).sign(),
      },
    ],
    scaled(context, { warmupIterations: 500, rounds: 20, iterationsPerRound: 100 }),
  );
  return ratioRows(timings, SIGNING_SECTION, [SIGN_SMITHY, SIGN_AWS4FETCH, SIGN_RAW], SIGN_RAW, 'by hand');
}
