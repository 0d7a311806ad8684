import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsV4Signer } from 'aws4fetch';
import { NodeSha256 } from '../../lambda/adapters/sigv4-dynamodb-token-store.ts';
import { hashToken } from '../../lambda/core/token-hash.ts';
import { createLocalDynamoDbClient } from '../../local/dynamodb-client.ts';
import { type BenchContext, scaled } from '../harness/context.ts';
import { BENCH_REGION, benchTokenStore, ROUTE, TABLE_NAME } from '../harness/local-parts.ts';
import { compareSideBySide, ratioRows } from '../harness/measure.ts';
import { fetchJwks, RawJwtVerifier } from '../harness/raw-jwt.ts';
import { type BudgetCheck, formatRatio, type ResultRow, type SectionResult } from '../harness/report.ts';
import { createBenchResolver, expectAllow } from '../harness/resolver.ts';
import { DynamoDbTokenStore } from '../harness/sdk-token-store.ts';

const SECTION = 'split miss';
const SIGNING_SECTION = 'SigV4 signing';
/** Budget: ours at most this multiple of raw GetItem + raw verify. */
const LIMIT_RATIO = 1.1;

const OURS_SDK = 'ours: resolver, SDK store';
const OURS_SIGV4 = 'ours: resolver, SigV4 store';
const RAW = 'SHA-256 + raw SDK GetItem + node:crypto verify (limit)';
const STORE_SDK = 'DynamoDbTokenStore.getRecord alone';
const STORE_SIGV4 = 'SigV4DynamoDbTokenStore.getRecord alone';
const RAW_GET = 'raw SDK GetItem alone';

const SIGN_SMITHY = '@smithy/signature-v4 + node:crypto hashes';
const SIGN_AWS4FETCH = 'aws4fetch (WebCrypto HMAC)';

/**
 * A split token whose resolution is not cached: hash, GetItem from dynalite, glue, verify. Ours
 * (the resolver with the SDK store the authorizer wires today, and with the SigV4 store) against
 * the least work that does the same: node:crypto hash, a raw SDK GetItem with the same projection
 * to the same dynalite, node:crypto verify. Also: each GetItem alone, and the per-request cost of
 * the two signing libraries considered for a GetItem without the SDK.
 */
export async function benchSplitMiss(context: BenchContext): Promise<SectionResult> {
  const { parts } = context;
  const token = await parts.issueSplitToken();
  const key = await hashToken(token.opaque, 'SHA-256');
  const sdkClient = createLocalDynamoDbClient({
    endpoint: parts.dynamo.endpoint,
    region: BENCH_REGION,
    maxAttempts: 3,
  });
  const sdkStore = new DynamoDbTokenStore({ client: sdkClient, tableName: TABLE_NAME, timeoutMs: 1000 });
  const sigv4Store = benchTokenStore(parts);
  const oursSdk = createBenchResolver({ as: parts.as, store: sdkStore, introspection: false, cacheMaxEntries: 0 });
  const oursSigV4 = createBenchResolver({ as: parts.as, store: sigv4Store, introspection: false, cacheMaxEntries: 0 });
  await expectAllow(oursSdk, token.opaque, `${SECTION} (SDK store)`);
  await expectAllow(oursSigV4, token.opaque, `${SECTION} (SigV4 store)`);

  const raw = new RawJwtVerifier(await fetchJwks(parts.as.jwksUri), {
    issuer: parts.as.issuer,
    audience: parts.as.audience,
    type: 'at+jwt',
  });
  const rawGet = (hashedSignature: string) =>
    sdkClient.send(
      new GetItemCommand({
        TableName: TABLE_NAME,
        Key: { hashed_signature: { S: hashedSignature } },
        ProjectionExpression: '#hb, #exp',
        ExpressionAttributeNames: { '#hb': 'head_and_body', '#exp': 'expiration' },
      }),
    );
  const rawMiss = async (): Promise<unknown> => {
    const hashed = createHash('sha256').update(token.opaque).digest('base64');
    const item = (await rawGet(hashed)).Item;
    const claims = raw.verify(`${item?.head_and_body?.S}.${token.opaque}`);
    if (claims === undefined) throw new Error(`${SECTION}: raw verification failed`);
    return claims;
  };
  await rawMiss();
  const resolve = (resolver: typeof oursSdk) => () =>
    resolver.resolve({ authorization: `Bearer ${token.opaque}`, targets: [ROUTE] });

  const timings = await compareSideBySide(
    [
      { name: OURS_SDK, run: resolve(oursSdk) },
      { name: OURS_SIGV4, run: resolve(oursSigV4) },
      { name: RAW, run: rawMiss },
      { name: STORE_SDK, run: () => sdkStore.getRecord(key) },
      { name: STORE_SIGV4, run: () => sigv4Store.getRecord(key) },
      { name: RAW_GET, run: () => rawGet(key) },
    ],
    scaled(context, { warmupIterations: 200, rounds: 150, iterationsPerRound: 5 }),
  );
  const rows = [
    ...ratioRows(timings, SECTION, [OURS_SDK, OURS_SIGV4, RAW], RAW, 'limit'),
    ...ratioRows(timings, SECTION, [STORE_SDK, STORE_SIGV4, RAW_GET], RAW_GET, 'raw GetItem'),
  ];
  rows.push(...(await benchSigning(context, parts.dynamo.endpoint)));

  // The budget applies to the store the authorizer ships with; the other is shown for comparison.
  const wired = (await wiredStore()) === 'sigv4' ? OURS_SIGV4 : OURS_SDK;
  const ratio = timings.ratio(wired, RAW);
  const budgets: BudgetCheck[] = [
    {
      budget: `split miss (${wired.replace('ours: resolver, ', '')}, as wired)`,
      measured: `${formatRatio(ratio)} limit`,
      limit: `≤ ${formatRatio(LIMIT_RATIO)}`,
      ok: ratio <= LIMIT_RATIO,
    },
  ];
  sdkClient.destroy();
  return { rows, budgets };
}

/** Which token store `lambda/authorizer.ts` wires by default. */
export async function wiredStore(): Promise<'sigv4' | 'sdk'> {
  const source = await readFile(new URL('../../lambda/authorizer.ts', import.meta.url), 'utf8');
  return source.includes('SigV4DynamoDbTokenStore') ? 'sigv4' : 'sdk';
}

/** Per-request signing of the same GetItem: the SDK's signer over node:crypto, and aws4fetch. */
async function benchSigning(context: BenchContext, endpoint: string): Promise<ResultRow[]> {
  const url = new URL(endpoint);
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'session' };
  const body = JSON.stringify({
    TableName: TABLE_NAME,
    Key: { hashed_signature: { S: 'x'.repeat(44) } },
    ProjectionExpression: '#hb, #exp',
    ExpressionAttributeNames: { '#hb': 'head_and_body', '#exp': 'expiration' },
  });
  const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' };
  const smithy = new SignatureV4({
    service: 'dynamodb',
    region: BENCH_REGION,
    credentials,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  // One shared cache, as an AwsClient keeps it, so the signing key is derived once a day.
  const aws4fetchCache = new Map<string, ArrayBuffer>();
  const timings = await compareSideBySide(
    [
      {
        name: SIGN_SMITHY,
        run: () =>
          smithy.sign({
            method: 'POST',
            protocol: url.protocol,
            hostname: url.hostname,
            port: Number(url.port),
            path: '/',
            query: {},
            headers: { ...headers, host: url.host },
            body,
          }),
      },
      {
        name: SIGN_AWS4FETCH,
        run: () =>
          new AwsV4Signer({
            method: 'POST',
            url: endpoint,
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
  return ratioRows(timings, SIGNING_SECTION, [SIGN_SMITHY, SIGN_AWS4FETCH], SIGN_SMITHY, 'smithy');
}
