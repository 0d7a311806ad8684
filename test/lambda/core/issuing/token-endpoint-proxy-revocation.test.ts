import { createHash, randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigV4DynamoDbTokenWriter } from '../../../../lambda/adapters/sigv4-dynamodb-token-writer.ts';
import { type ProxyRequest, TokenEndpointProxy } from '../../../../lambda/core/issuing/token-endpoint-proxy.ts';
import { revocationRefusedMetricFields } from '../../../../lambda/token-endpoint-proxy/metrics.ts';
import {
  type AuthorizationServer,
  type ClientCredentials,
  startAuthorizationServer,
} from '../../../../local/authorization-server.ts';
import { requestClientCredentialsToken } from '../../../../local/client-credentials.ts';
import { createLocalDynamoDbClient } from '../../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../../local/dynamodb-server.ts';
import { createTokenTable } from '../../../../local/token-table.ts';
import { localTokenWriter } from '../../../support/local-token-writer.ts';
import { RecordingLog } from '../../../support/recording-log.ts';

// RFC 7009 section 2.1: the server "verifies whether the token was issued to the client making the
// revocation request"; DESIGN invariant 11. The authorization server cannot, since it sees only the
// signature of a split token, so the proxy must. Every case runs against the real oidc-provider and
// dynalite through the real SigV4DynamoDbTokenWriter.

const TABLE = 'split-tokens';
const FORM = 'application/x-www-form-urlencoded';

/** How a request authenticates its client: an Authorization header and/or form fields. */
interface ClientAuthentication {
  readonly label: string;
  readonly clientId: string;
  readonly headers: Record<string, string>;
  /** Fresh per request (a client assertion is single-use). */
  readonly form: () => Promise<Record<string, string>>;
}

/** RFC 6749 appendix B: every octet may be percent-encoded; here every one is, so decoding is required. */
function percentEncodeEveryOctet(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

const basic = ({ clientId, clientSecret }: ClientCredentials): ClientAuthentication => ({
  label: 'client_secret_basic',
  clientId,
  headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
  form: async () => ({}),
});

const basicFormEncoded = ({ clientId, clientSecret }: ClientCredentials): ClientAuthentication => ({
  label: 'client_secret_basic, id and secret form-encoded (RFC 6749 section 2.3.1)',
  clientId,
  headers: {
    authorization: `Basic ${Buffer.from(`${percentEncodeEveryOctet(clientId)}:${percentEncodeEveryOctet(clientSecret)}`).toString('base64')}`,
  },
  form: async () => ({}),
});

const post = ({ clientId, clientSecret }: ClientCredentials): ClientAuthentication => ({
  label: 'client_secret_post',
  clientId,
  headers: {},
  form: async () => ({ client_id: clientId, client_secret: clientSecret }),
});

function privateKeyJwt(as: AuthorizationServer, options: { withClientId?: boolean } = {}): ClientAuthentication {
  const { clientId, privateJwk } = as.privateKeyJwtClient;
  return {
    label: `private_key_jwt${options.withClientId ? ' with client_id in the form' : ''}`,
    clientId,
    headers: {},
    form: async () => {
      const now = Math.floor(Date.now() / 1000);
      // RFC 7523 section 3: iss and sub are the client id, aud the authorization server.
      const assertion = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: privateJwk.alg, kid: privateJwk.kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(as.issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(await importJWK(privateJwk, privateJwk.alg));
      return {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        ...(options.withClientId ? { client_id: clientId } : {}),
      };
    },
  };
}

async function request(
  path: string,
  auth: ClientAuthentication,
  fields: Record<string, string>,
): Promise<ProxyRequest> {
  return {
    method: 'POST',
    path,
    headers: { ...auth.headers, 'content-type': FORM, accept: 'application/json' },
    body: new URLSearchParams({ ...(await auth.form()), ...fields }).toString(),
  };
}

/** The record key, computed here from DESIGN section 2 rather than by the code under test. */
function hashedSignatureOf(opaque: string): string {
  return createHash('sha256').update(opaque, 'ascii').digest('base64');
}

describe('revocation through the token endpoint proxy: only the client the token was issued to', () => {
  let as: AuthorizationServer;
  let db: DynamoDbServer;
  let dynamo: ReturnType<typeof createLocalDynamoDbClient>;
  let proxy: TokenEndpointProxy;
  const log = new RecordingLog();
  const logLines = log.entries;
  const tokensSeen: string[] = [];
  const proxyWith = (writer: SigV4DynamoDbTokenWriter) =>
    new TokenEndpointProxy({
      upstreamTokenEndpoint: as.tokenEndpoint,
      upstreamRevocationEndpoint: as.revocationEndpoint,
      writer,
      passThroughClientIds: [as.clients.jwt.clientId],
      log,
      // As the Lambda handler wires it.
      revocationRefusedFields: () => revocationRefusedMetricFields('proxy-under-test'),
    });

  const recordOf = async (opaque: string) =>
    (
      await dynamo.send(
        new GetItemCommand({ TableName: TABLE, Key: { hashed_signature: { S: hashedSignatureOf(opaque) } } }),
      )
    ).Item;
  const recordCount = async () => (await dynamo.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }))).Count;

  /** A split token of `auth`'s client, issued through the proxy. */
  async function splitTokenOf(auth: ClientAuthentication): Promise<string> {
    const response = await proxy.handle(
      await request('/token', auth, { grant_type: 'client_credentials', scope: 'orders:read' }),
    );
    expect(response.status).toBe(200);
    const opaque = JSON.parse(response.body).access_token as string;
    expect(opaque).not.toContain('.');
    expect(await recordOf(opaque)).toBeDefined();
    tokensSeen.push(opaque);
    return opaque;
  }

  const revoke = async (auth: ClientAuthentication, fields: Record<string, string>) =>
    proxy.handle(await request('/revoke', auth, fields));

  const refusalsLogged = () => logLines.filter((line) => line.RevocationsRefused === 1);

  beforeAll(async () => {
    [as, db] = await Promise.all([startAuthorizationServer(), startDynamoDbServer()]);
    await createTokenTable({ endpoint: db.endpoint, tableName: TABLE });
    dynamo = createLocalDynamoDbClient({ endpoint: db.endpoint, maxAttempts: 1 });
    proxy = proxyWith(localTokenWriter(db.endpoint, TABLE));
  });

  afterAll(async () => {
    dynamo?.destroy();
    await Promise.all([as?.stop(), db?.stop()]);
  });

  describe.each([
    ['client_secret_basic', () => basic(as.clients.split)],
    ['client_secret_basic, form-encoded', () => basicFormEncoded(as.clients.split)],
    ['client_secret_post', () => post(as.clients.split)],
    ['private_key_jwt', () => privateKeyJwt(as)],
    ['private_key_jwt with client_id in the form', () => privateKeyJwt(as, { withClientId: true })],
  ])('the owner, authenticated with %s', (_label, ownerAuth) => {
    it('revokes its split token: 200 and the record is gone', async () => {
      const owner = ownerAuth();
      const opaque = await splitTokenOf(owner);

      const response = await revoke(owner, { token: opaque });

      expect(response.status).toBe(200);
      expect(await recordOf(opaque)).toBeUndefined();
    });
  });

  describe.each([
    ['phantom-client with client_secret_basic', () => basic(as.clients.phantom), () => basic(as.clients.split)],
    ['phantom-client with client_secret_post', () => post(as.clients.phantom), () => basic(as.clients.split)],
    [
      'phantom-client with form-encoded client_secret_basic',
      () => basicFormEncoded(as.clients.phantom),
      () => basic(as.clients.split),
    ],
    ['the private_key_jwt client', () => privateKeyJwt(as), () => basic(as.clients.split)],
    ['split-client against the private_key_jwt client', () => basic(as.clients.split), () => privateKeyJwt(as)],
    ['jwt-client (a pass-through client)', () => basic(as.clients.jwt), () => post(as.clients.split)],
  ])('another client (%s), authenticated with its own credentials', (_label, attackerAuth, ownerAuth) => {
    it('gets the 200 RFC 7009 prescribes, but the record stays and the refusal is counted', async () => {
      const owner = ownerAuth();
      const attacker = attackerAuth();
      const opaque = await splitTokenOf(owner);
      const before = refusalsLogged().length;

      const response = await revoke(attacker, { token: opaque });
      const refusal = refusalsLogged().at(-1);

      expect(response.status).toBe(200);
      expect(await recordOf(opaque)).toBeDefined();
      expect(refusalsLogged()).toHaveLength(before + 1);
      expect(refusal).toMatchObject({
        tokenId: expect.stringMatching(/^[A-Za-z0-9+/]{12}$/),
        clientId: owner.clientId,
        requestingClientId: attacker.clientId,
        FunctionName: 'proxy-under-test',
        _aws: {
          CloudWatchMetrics: [
            {
              Namespace: 'OpaqueTokenGateway',
              Dimensions: [['FunctionName']],
              Metrics: [{ Name: 'RevocationsRefused', Unit: 'Count' }],
            },
          ],
        },
      });
      // Only the token's log id and both client ids, besides the message and the metric.
      expect(Object.keys(refusal ?? {}).sort()).toEqual(
        ['FunctionName', 'RevocationsRefused', '_aws', 'clientId', 'message', 'requestingClientId', 'tokenId'].sort(),
      );
      // The owner can still revoke it.
      expect((await revoke(owner, { token: opaque })).status).toBe(200);
      expect(await recordOf(opaque)).toBeUndefined();
    });
  });

  it('ignores token_type_hint=refresh_token as RFC 7009 lets it: the owner revokes, another client does not', async () => {
    const owner = basic(as.clients.split);
    const opaque = await splitTokenOf(owner);

    const byOther = await revoke(post(as.clients.phantom), { token: opaque, token_type_hint: 'refresh_token' });
    const keptAfterOther = await recordOf(opaque);
    const byOwner = await revoke(owner, { token: opaque, token_type_hint: 'refresh_token' });

    expect(byOther.status).toBe(200);
    expect(keptAfterOther).toBeDefined();
    expect(byOwner.status).toBe(200);
    expect(await recordOf(opaque)).toBeUndefined();
  });

  it('deletes nothing unless the authorization server accepted the client (a wrong secret gets its 401)', async () => {
    const owner = basic(as.clients.split);
    const opaque = await splitTokenOf(owner);

    const wrongSecret = await revoke(basic({ ...as.clients.split, clientSecret: 'not-the-secret' }), { token: opaque });
    const wrongPostSecret = await revoke(post({ ...as.clients.split, clientSecret: 'not-the-secret' }), {
      token: opaque,
    });

    expect(wrongSecret.status).toBe(401);
    expect(JSON.parse(wrongSecret.body)).toMatchObject({ error: 'invalid_client' });
    expect(wrongPostSecret.status).toBe(401);
    expect(await recordOf(opaque)).toBeDefined();
  });

  it('deletes nothing when a form client_id contradicts the Basic credentials (the server refuses the request)', async () => {
    const opaque = await splitTokenOf(basic(as.clients.split));

    const response = await revoke(basic(as.clients.phantom), { token: opaque, client_id: as.clients.split.clientId });

    expect(response.status).toBe(400);
    expect(await recordOf(opaque)).toBeDefined();
  });

  it('passes a revocation without a token through with the server answer, deleting nothing', async () => {
    const before = await recordCount();

    const response = await revoke(basic(as.clients.split), {});

    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'invalid_request' });
    expect(await recordCount()).toBe(before);
  });

  it('revokes a phantom (opaque) token at the server as before, with nothing to delete here', async () => {
    const { access_token: phantom } = await requestClientCredentialsToken({
      tokenEndpoint: as.tokenEndpoint,
      ...as.clients.phantom,
      scope: 'orders:read',
    });
    tokensSeen.push(phantom);
    const introspect = async () => {
      const { clientId, clientSecret } = as.clients.introspector;
      const answer = await fetch(as.introspectionEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`, accept: 'application/json' },
        body: new URLSearchParams({ token: phantom }),
      });
      return ((await answer.json()) as { active: boolean }).active;
    };
    const before = await recordCount();
    expect(await introspect()).toBe(true);

    const response = await revoke(basic(as.clients.phantom), { token: phantom });

    expect(response.status).toBe(200);
    expect(await introspect()).toBe(false);
    expect(await recordCount()).toBe(before);
  });

  it('revokes records written as Curity’s aws-token-publisher writes them (unconditional PutItem, client_id in the payload)', async () => {
    const { access_token: jwt } = await requestClientCredentialsToken({
      tokenEndpoint: as.tokenEndpoint,
      ...as.clients.split,
      scope: 'orders:read',
    });
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp: number }).exp;
    tokensSeen.push(signature);
    await dynamo.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          hashed_signature: { S: hashedSignatureOf(signature) },
          expiration: { N: String(exp) },
          head_and_body: { S: `${header}.${payload}` },
        },
      }),
    );

    const byOther = await revoke(basic(as.clients.phantom), { token: signature });
    const keptAfterOther = await recordOf(signature);
    const byOwner = await revoke(basic(as.clients.split), { token: signature });

    expect(byOther.status).toBe(200);
    expect(keptAfterOther).toBeDefined();
    expect(byOwner.status).toBe(200);
    expect(await recordOf(signature)).toBeUndefined();
  });

  it('keeps a record whose payload names no client, counting the refusal', async () => {
    const owner = basic(as.clients.split);
    const opaque = await splitTokenOf(owner);
    const stored = (await recordOf(opaque))?.head_and_body?.S as string;
    const [header, payload] = stored.split('.') as [string, string];
    const { client_id: _dropped, ...claims } = JSON.parse(Buffer.from(payload, 'base64url').toString());
    await dynamo.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          hashed_signature: { S: hashedSignatureOf(opaque) },
          head_and_body: { S: `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}` },
          expiration: { N: String(claims.exp) },
        },
      }),
    );
    const before = refusalsLogged().length;

    const response = await revoke(owner, { token: opaque });

    expect(response.status).toBe(200);
    expect(await recordOf(opaque)).toBeDefined();
    expect(refusalsLogged()).toHaveLength(before + 1);
    expect(refusalsLogged().at(-1)).toMatchObject({ clientId: null, requestingClientId: as.clients.split.clientId });
  });

  it('answers 503 (RFC 7009: the token still exists, retry) when the record cannot be read', async () => {
    const owner = basic(as.clients.split);
    const opaque = await splitTokenOf(owner);
    const broken = proxyWith(localTokenWriter(db.endpoint, 'no-such-table'));

    const response = await broken.handle(await request('/revoke', owner, { token: opaque }));

    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'server_error' });
    expect(await recordOf(opaque)).toBeDefined();
  });

  it('never logs token material or secrets', () => {
    const logged = logLines.map((line) => JSON.stringify(line)).join('\n');

    expect(tokensSeen.length).toBeGreaterThan(10);
    for (const token of tokensSeen) expect(logged).not.toContain(token.slice(-24));
    for (const { clientSecret } of Object.values(as.clients)) expect(logged).not.toContain(clientSecret);
    expect(logged).not.toContain(as.privateKeyJwtClient.privateJwk.d);
  });
});
