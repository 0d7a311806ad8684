import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { generateKeyPair, generateProof } from 'dpop';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { frontRequestFromEvent, type HttpPayloadV2Event } from '../../../../lambda/adapters/http-payload-v2.ts';
import { NodeHttpClient } from '../../../../lambda/adapters/node-http-client.ts';
import type { SigV4DynamoDbTokenWriter } from '../../../../lambda/adapters/sigv4-dynamodb-token-writer.ts';
import { fetchHttpClient, type HttpClient } from '../../../../lambda/core/http-client.ts';
import { AuthorizationServerFront } from '../../../../lambda/core/issuing/authorization-server-front.ts';
import { TokenEndpointProxy } from '../../../../lambda/core/issuing/token-endpoint-proxy.ts';
import {
  AUTHORIZATION_SERVER_PATHS,
  type AuthorizationServer,
  type ClientCredentials,
  startAuthorizationServer,
} from '../../../../local/authorization-server.ts';
import { createLocalDynamoDbClient } from '../../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../../local/dynamodb-server.ts';
import { type FrontServer, listenFrontServer } from '../../../../local/front-server.ts';
import { createTokenTable } from '../../../../local/token-table.ts';
import { localTokenWriter } from '../../../support/local-token-writer.ts';
import { type RecordingHttpServer, startRecordingHttpServer } from '../../../support/recording-http-server.ts';
import { RecordingLog } from '../../../support/recording-log.ts';
import { wireRequest } from '../../../support/wire-request.ts';

const TABLE = 'split-tokens';
const TOKEN_PATH = AUTHORIZATION_SERVER_PATHS.token;
const REVOCATION_PATH = AUTHORIZATION_SERVER_PATHS.revocation;
const FORM = 'application/x-www-form-urlencoded';
/** Documentation addresses (RFC 5737) a client might claim to be. */
const CLAIMED_ADDRESS = '203.0.113.9';

type FrontOptions = Partial<ConstructorParameters<typeof AuthorizationServerFront>[0]>;

/** The front's transports: web fetch (its default) and the Lambda's NodeHttpClient. */
const TRANSPORTS: readonly (readonly [string, () => HttpClient])[] = [
  ['web fetch (the default)', () => fetchHttpClient()],
  ['the Lambda transport (NodeHttpClient)', () => new NodeHttpClient()],
];

function basic({ clientId, clientSecret }: ClientCredentials): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

describe('authorization server front', () => {
  let db: DynamoDbServer;
  let dynamo: ReturnType<typeof createLocalDynamoDbClient>;
  let writer: SigV4DynamoDbTokenWriter;
  const log = new RecordingLog();
  const logLines = log.lines;

  /** A front on 127.0.0.1 over `upstreamOrigin`, its proxy's endpoints there too. */
  async function frontOverWith(upstreamOrigin: string, options: FrontOptions = {}): Promise<FrontServer> {
    const server = await listenFrontServer({ maxBodyBytes: 8 * 1024 * 1024 });
    const tokenEndpointProxy = new TokenEndpointProxy({
      upstreamTokenEndpoint: `${upstreamOrigin}${TOKEN_PATH}`,
      upstreamRevocationEndpoint: `${upstreamOrigin}${REVOCATION_PATH}`,
      writer,
      passThroughClientIds: ['jwt-client'],
      tokenPath: TOKEN_PATH,
      revocationPath: REVOCATION_PATH,
      log,
    });
    server.serve(
      new AuthorizationServerFront({
        upstreamOrigin,
        tokenEndpointProxy,
        tokenPath: TOKEN_PATH,
        revocationPath: REVOCATION_PATH,
        log,
        ...options,
      }),
    );
    return server;
  }

  beforeAll(async () => {
    db = await startDynamoDbServer();
    await createTokenTable({ endpoint: db.endpoint, tableName: TABLE });
    dynamo = createLocalDynamoDbClient({ endpoint: db.endpoint, maxAttempts: 1 });
    writer = localTokenWriter(db.endpoint, TABLE);
  });

  afterAll(async () => {
    dynamo?.destroy();
    await db?.stop();
  });

  describe.each(TRANSPORTS)('what reaches the authorization server over %s (a recording server)', (_n, transport) => {
    const http = transport();
    /** Fronts over this transport. */
    const frontOver = (upstreamOrigin: string, options: FrontOptions = {}) =>
      frontOverWith(upstreamOrigin, { http, ...options });
    let upstream: RecordingHttpServer;
    let front: FrontServer;

    beforeAll(async () => {
      upstream = await startRecordingHttpServer((_request, response) => response.end('{}'));
      front = await frontOver(upstream.origin, { upstreamHeaders: { 'x-front-verification': 'front-only' } });
    });

    beforeEach(() => {
      upstream.respondWith((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"token_type":"Bearer","access_token":"not-a-jws","expires_in":60}');
      });
    });

    afterAll(async () => {
      await front?.stop();
      await upstream?.stop();
    });

    /** What a hostile client adds: forwarding claims, hop-by-hop headers, the ingress secret guessed. */
    const hostileHeaders: readonly (readonly [string, string])[] = [
      ['x-forwarded-for', CLAIMED_ADDRESS],
      ['x-forwarded-for', '198.51.100.1'],
      ['x-forwarded-host', 'login.attacker.test'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-port', '8443'],
      ['forwarded', `for=${CLAIMED_ADDRESS};host=login.attacker.test;proto=https`],
      ['x-real-ip', CLAIMED_ADDRESS],
      ['x-amzn-trace-id', 'Root=1-00000000-000000000000000000000000'],
      ['x-front-verification', 'guessed'],
      ['x-client-certificate', '-----BEGIN%20CERTIFICATE-----%0Aforged'],
      ['connection', 'keep-alive, x-hop-only'],
      ['x-hop-only', 'one hop'],
      ['keep-alive', 'timeout=5'],
      ['te', 'trailers'],
      ['proxy-authorization', 'Basic cHJveHk6cHJveHk='],
      ['accept-encoding', 'gzip, br'],
      ['x-kept', 'end to end'],
      ['cookie', 'a=1'],
      ['cookie', 'b=2'],
    ];

    it.each([
      ['a passed-through request', 'GET', '/jwks?x=1&y=%2F', undefined],
      ['an intercepted token request', 'POST', TOKEN_PATH, 'grant_type=client_credentials'],
    ])('overwrites the forwarding headers and drops hop-by-hop ones on %s', async (_kind, method, target, body) => {
      const before = upstream.requests.length;

      const answer = await wireRequest(`${front.origin}${target}`, {
        method,
        headers: [...hostileHeaders, ['authorization', 'Basic c3BsaXQtY2xpZW50OnNlY3JldA=='], ['content-type', FORM]],
        ...(body === undefined ? {} : { body }),
      });
      const received = upstream.requests[before];

      expect(answer.status).toBe(200);
      expect(upstream.requests).toHaveLength(before + 1);
      expect(received?.url).toBe(target);
      // One value each, from the connection the front accepted (the test connects from 127.0.0.1).
      expect(received?.headers['x-forwarded-for']).toEqual(['127.0.0.1']);
      expect(received?.headers['x-forwarded-host']).toEqual([new URL(front.origin).host]);
      expect(received?.headers['x-forwarded-proto']).toEqual(['http']);
      expect(received?.headers['x-front-verification']).toEqual(['front-only']);
      for (const dropped of [
        'x-forwarded-port',
        'forwarded',
        'x-real-ip',
        'x-amzn-trace-id',
        'x-hop-only',
        'te',
        // Only the front says which certificate the client presented (none here: plain HTTP).
        'x-client-certificate',
      ]) {
        expect(received?.headers[dropped], dropped).toBeUndefined();
      }
      expect(received?.headers['proxy-authorization']).toBeUndefined();
      expect(received?.headers.host).toEqual([new URL(upstream.origin).host]);
      expect(received?.headers.authorization).toEqual(['Basic c3BsaXQtY2xpZW50OnNlY3JldA==']);
      if (method === 'GET') {
        // Passed through: end-to-end headers kept, cookies in one header as RFC 6265 section 5.4 has it.
        expect(received?.headers['x-kept']).toEqual(['end to end']);
        expect(received?.headers.cookie).toEqual(['a=1; b=2']);
        expect(received?.headers['accept-encoding']).toEqual(['identity']);
      }
      if (body !== undefined) expect(received?.body.toString()).toBe(body);
    });

    it('passes redirects back without following them, each Set-Cookie apart, hop-by-hop answer headers dropped', async () => {
      upstream.respondWith((request, response) => {
        if (request.url.startsWith('/interaction/')) throw new Error('the front followed the redirect');
        response.setHeader('set-cookie', [
          '_interaction=abc; path=/interaction/x; httponly',
          '_resume=def; path=/auth',
        ]);
        response.setHeader('connection', 'close');
        response.setHeader('x-answer', 'kept');
        response.writeHead(303, { location: '/interaction/x' });
        response.end();
      });
      const before = upstream.requests.length;

      const answer = await wireRequest(`${front.origin}/auth?client_id=browser-client&response_type=code`);

      expect(answer.status).toBe(303);
      expect(answer.headers.location).toEqual(['/interaction/x']);
      expect(answer.headers['set-cookie']).toEqual([
        '_interaction=abc; path=/interaction/x; httponly',
        '_resume=def; path=/auth',
      ]);
      expect(answer.headers['x-answer']).toEqual(['kept']);
      expect(upstream.requests).toHaveLength(before + 1);
    });

    it('carries binary bodies both ways byte for byte', async () => {
      const sent = randomBytes(64 * 1024);
      const answered = randomBytes(96 * 1024);
      upstream.respondWith((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.end(answered);
      });
      const before = upstream.requests.length;

      const answer = await wireRequest(`${front.origin}/resources/blob`, {
        method: 'PUT',
        headers: [['content-type', 'application/octet-stream']],
        body: sent,
      });

      expect(answer.status).toBe(200);
      expect(upstream.requests[before]?.body.equals(sent)).toBe(true);
      expect(answer.body.equals(answered)).toBe(true);
    });

    it('refuses a request body over the limit with 413 and passes nothing on', async () => {
      const small = await frontOver(upstream.origin, { maxRequestBytes: 1024 });
      const before = upstream.requests.length;
      try {
        const answer = await wireRequest(`${small.origin}/login`, { method: 'POST', body: Buffer.alloc(1025, 'a') });

        expect(answer.status).toBe(413);
        expect(upstream.requests).toHaveLength(before);
      } finally {
        await small.stop();
      }
    });

    it('answers 502 for an answer over the limit and 504 past the deadline', async () => {
      const bounded = await frontOver(upstream.origin, { maxResponseBytes: 4096, upstreamTimeoutMs: 300 });
      try {
        upstream.respondWith((_request, response) => response.end(Buffer.alloc(4097, 'b')));
        const tooLarge = await wireRequest(`${bounded.origin}/big`);
        upstream.respondWith(() => {
          // Never answers.
        });
        const tooSlow = await wireRequest(`${bounded.origin}/slow`);

        expect(tooLarge.status).toBe(502);
        expect(tooSlow.status).toBe(504);
        expect(JSON.parse(tooSlow.body.toString())).toMatchObject({ error: 'server_error' });
      } finally {
        await bounded.stop();
      }
    });

    it('passes a CORS preflight to the token endpoint through to the server', async () => {
      upstream.respondWith((_request, response) => {
        response.writeHead(204, { 'access-control-allow-origin': 'https://app.example.test' });
        response.end();
      });
      const before = upstream.requests.length;

      const answer = await wireRequest(`${front.origin}${TOKEN_PATH}`, {
        method: 'OPTIONS',
        headers: [
          ['origin', 'https://app.example.test'],
          ['access-control-request-method', 'POST'],
        ],
      });

      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-origin']).toEqual(['https://app.example.test']);
      expect(upstream.requests[before]?.headers['access-control-request-method']).toEqual(['POST']);
    });

    it('passes on every path that is not a spelling of the token or revocation path', async () => {
      const before = upstream.requests.length;
      const paths = ['/token/introspection', '/tokens', '/jwks', '/token-x', '/.well-known/openid-configuration'];

      const statuses = [];
      for (const path of paths) statuses.push((await wireRequest(`${front.origin}${path}`)).status);

      expect(statuses).toEqual(paths.map(() => 200));
      expect(upstream.requests.slice(before).map((request) => request.url)).toEqual(paths);
    });

    it('refuses, without passing them on, other spellings of the token and revocation paths a server might route there', async () => {
      const letters = (path: string) => fc.array(fc.boolean(), { minLength: path.length, maxLength: path.length });
      const spelling = fc
        .constantFrom(TOKEN_PATH, REVOCATION_PATH)
        .chain((path) =>
          fc.record({
            path: fc.constant(path),
            upper: letters(path),
            encoded: letters(path),
            lowerHex: fc.boolean(),
            prefix: fc.constantFrom('', '/.', '//', '/x/..', '/%2e', '/./.'),
            suffix: fc.constantFrom('', '/', ';jsessionid=1', '/.', '//', '%2F'),
          }),
        )
        .map(({ path, upper, encoded, lowerHex, prefix, suffix }) => {
          const body = [...path]
            .map((char, i) => {
              if (char === '/') return char;
              const cased = upper[i] ? char.toUpperCase() : char;
              if (!encoded[i]) return cased;
              const hex = cased.charCodeAt(0).toString(16).padStart(2, '0');
              return `%${lowerHex ? hex : hex.toUpperCase()}`;
            })
            .join('');
          return `${prefix}${body}${suffix}`;
        })
        .filter((spelled) => spelled !== TOKEN_PATH && spelled !== REVOCATION_PATH);
      const before = upstream.requests.length;

      await fc.assert(
        fc.asyncProperty(spelling, async (spelled) => {
          const answer = await wireRequest(`${front.origin}/`, { method: 'POST', rawTarget: spelled });
          expect(answer.status).toBe(404);
        }),
        { numRuns: 300 },
      );

      expect(upstream.requests).toHaveLength(before);
    });

    it('passes through only the allowed path prefixes, however a path outside them is spelled', async () => {
      const keycloakLike = await frontOver(upstream.origin, {
        passThroughPathPrefixes: ['/realms/', '/resources/', '/.well-known/'],
      });
      const before = upstream.requests.length;
      try {
        const outside = ['/admin/master/console/', '/realms/../admin/x', '/realms/%2e%2e/admin/x', '/metrics', '/'];
        const inside = [
          '/realms/demo/protocol/openid-connect/auth',
          '/resources/x/login.css',
          '/.well-known/oauth-authorization-server/realms/demo',
        ];

        const refused = [];
        for (const path of outside)
          refused.push((await wireRequest(`${keycloakLike.origin}/`, { rawTarget: path })).status);
        const passed = [];
        for (const path of inside) passed.push((await wireRequest(`${keycloakLike.origin}${path}`)).status);
        const token = await wireRequest(`${keycloakLike.origin}${TOKEN_PATH}`, {
          method: 'POST',
          body: 'grant_type=x',
        });

        expect(refused).toEqual(outside.map(() => 404));
        expect(passed).toEqual(inside.map(() => 200));
        expect(token.status).toBe(200);
        expect(upstream.requests.slice(before).map((request) => request.url)).toEqual([...inside, TOKEN_PATH]);
      } finally {
        await keycloakLike.stop();
      }
    });

    it('refuses with 502 an answer the server content-coded although asked for identity', async () => {
      const page = Buffer.from('<p>login</p>');
      upstream.respondWith((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
        response.end(gzipSync(page));
      });

      const answer = await wireRequest(`${front.origin}/login`);

      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body.toString())).toMatchObject({ error: 'server_error' });
      expect(logLines.at(-1)).toContain('upstream_encoded');
    });

    it('keeps paths, queries and bodies out of its logs', async () => {
      logLines.length = 0;
      upstream.respondWith(() => {
        // Never answers: the deadline logs a failure.
      });
      const slow = await frontOver(upstream.origin, { upstreamTimeoutMs: 100 });
      try {
        await wireRequest(`${slow.origin}/callback-secret-path?code=secret-code-value`, {
          method: 'POST',
          body: 'password=secret-body-value',
        });
      } finally {
        await slow.stop();
      }

      const logged = logLines.join('\n');
      expect(logged).toContain('upstream_timeout');
      for (const secret of ['callback-secret-path', 'secret-code-value', 'secret-body-value']) {
        expect(logged).not.toContain(secret);
      }
    });
  });

  // On AWS the front gets API Gateway's payload 2.0 events, whose rawPath comes percent-decoded: a
  // client's `%09` arrives as a tab, which no Node server would accept. These requests go through
  // the adapter the Lambda handler uses, to the front with its Lambda transport.
  describe('requests as an HTTP API hands them over (payload 2.0, rawPath decoded)', () => {
    let upstream: RecordingHttpServer;
    let front: AuthorizationServerFront;

    beforeAll(async () => {
      upstream = await startRecordingHttpServer((_request, response) => response.end('{}'));
      front = new AuthorizationServerFront({
        upstreamOrigin: upstream.origin,
        tokenEndpointProxy: new TokenEndpointProxy({
          upstreamTokenEndpoint: `${upstream.origin}${TOKEN_PATH}`,
          upstreamRevocationEndpoint: `${upstream.origin}${REVOCATION_PATH}`,
          writer,
          tokenPath: TOKEN_PATH,
          revocationPath: REVOCATION_PATH,
        }),
        tokenPath: TOKEN_PATH,
        revocationPath: REVOCATION_PATH,
        http: new NodeHttpClient(),
      });
    });

    afterAll(async () => {
      await upstream?.stop();
    });

    /** A payload 2.0 event for a custom domain's `$default` route. */
    function event(method: string, rawPath: string, headers: Record<string, string> = {}): HttpPayloadV2Event {
      return {
        version: '2.0',
        routeKey: '$default',
        rawPath,
        rawQueryString: '',
        headers: { 'content-type': FORM, ...headers },
        body: Buffer.from('grant_type=client_credentials').toString('base64'),
        isBase64Encoded: true,
        requestContext: {
          domainName: 'login.example.test',
          http: { method, path: rawPath, sourceIp: CLAIMED_ADDRESS },
        },
      } as HttpPayloadV2Event;
    }

    it('refuses with 400, passing nothing on, a path holding a control character, a space or DEL anywhere', async () => {
      // A URL parser drops tab, CR and LF: `/to<TAB>ken` would reach the server's own token endpoint.
      const spelled = fc
        .record({
          path: fc.constantFrom(TOKEN_PATH, REVOCATION_PATH, '/jwks'),
          at: fc.nat(),
          char: fc.oneof(
            fc.constantFrom('\t', '\n', '\r', ' ', '\u007f'),
            fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
          ),
        })
        .map(({ path, at, char }) => {
          const position = 1 + (at % path.length);
          return `${path.slice(0, position)}${char}${path.slice(position)}`;
        });
      const before = upstream.requests.length;

      await fc.assert(
        fc.asyncProperty(spelled, async (rawPath) => {
          const answer = await front.handle(frontRequestFromEvent(event('POST', rawPath)));
          expect(answer.status).toBe(400);
        }),
        { numRuns: 200 },
      );

      expect(upstream.requests).toHaveLength(before);
    });

    it('answers TRACE and CONNECT with 405 and passes nothing on', async () => {
      const before = upstream.requests.length;

      const answers = await Promise.all(
        ['TRACE', 'CONNECT', 'PROPFIND'].map((method) => front.handle(frontRequestFromEvent(event(method, '/jwks')))),
      );

      expect(answers.map((answer) => answer.status)).toEqual([405, 405, 405]);
      expect(upstream.requests).toHaveLength(before);
    });

    it('drops forwarding headers spelled with underscores and headers that override the method, path or address', async () => {
      const before = upstream.requests.length;
      const claims = {
        x_forwarded_for: CLAIMED_ADDRESS,
        x_forwarded_host: 'login.attacker.test',
        x_client_certificate: 'forged',
        x_real_ip: CLAIMED_ADDRESS,
        'x-http-method-override': 'DELETE',
        'x-method-override': 'DELETE',
        'x-original-url': TOKEN_PATH,
        'x-rewrite-url': TOKEN_PATH,
        'true-client-ip': CLAIMED_ADDRESS,
        'x-client-ip': CLAIMED_ADDRESS,
        'x-kept': 'end to end',
      };

      const answer = await front.handle(frontRequestFromEvent(event('GET', '/jwks', claims)));
      const received = upstream.requests[before];

      expect(answer.status).toBe(200);
      for (const dropped of Object.keys(claims).filter((name) => name !== 'x-kept')) {
        expect(received?.headers[dropped], dropped).toBeUndefined();
      }
      expect(received?.headers['x-kept']).toEqual(['end to end']);
      expect(received?.headers['x-forwarded-for']).toEqual([CLAIMED_ADDRESS]);
    });

    it('answers a header no transport can send with 400, not as an outage of the server', async () => {
      const before = upstream.requests.length;

      const answers = await Promise.all([
        front.handle(frontRequestFromEvent(event('GET', '/jwks', { 'x-snow': 'snow\u2603' }))),
        front.handle(frontRequestFromEvent(event('GET', '/jwks', { 'x bad name': '1' }))),
        front.handle(frontRequestFromEvent(event('POST', TOKEN_PATH, { 'x-snow': 'snow\u2603' }))),
      ]);

      expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
      expect(upstream.requests).toHaveLength(before);
    });
  });

  describe('in front of oidc-provider, which takes the front for its issuer', () => {
    let front: FrontServer;
    let as: AuthorizationServer;
    const verificationHeader = { name: 'x-front-verification', value: randomBytes(16).toString('hex') };

    beforeAll(async () => {
      front = await listenFrontServer();
      as = await startAuthorizationServer({ front: { issuer: front.origin, verificationHeader } });
      const proxy = new TokenEndpointProxy({
        upstreamTokenEndpoint: as.tokenEndpoint,
        upstreamRevocationEndpoint: as.revocationEndpoint,
        writer,
        passThroughClientIds: [as.clients.jwt.clientId],
        tokenPath: TOKEN_PATH,
        revocationPath: REVOCATION_PATH,
        log,
      });
      front.serve(
        new AuthorizationServerFront({
          upstreamOrigin: as.origin,
          tokenEndpointProxy: proxy,
          tokenPath: TOKEN_PATH,
          revocationPath: REVOCATION_PATH,
          upstreamHeaders: { [verificationHeader.name]: verificationHeader.value },
          log,
        }),
      );
    });

    afterAll(async () => {
      await front?.stop();
      await as?.stop();
    });

    const tokenRequest = (client: ClientCredentials, headers: Record<string, string> = {}) =>
      fetch(`${front.origin}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { authorization: basic(client), 'content-type': FORM, ...headers },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
      });

    it('serves the discovery document unchanged: its issuer and endpoints are on the front (RFC 8414 section 3.3)', async () => {
      const metadata = (await (await fetch(`${front.origin}/.well-known/openid-configuration`)).json()) as Record<
        string,
        unknown
      >;

      expect(metadata.issuer).toBe(front.origin);
      expect(metadata.token_endpoint).toBe(`${front.origin}/token`);
      expect(metadata.revocation_endpoint).toBe(`${front.origin}/token/revocation`);
      expect(metadata.jwks_uri).toBe(`${front.origin}/jwks`);
    });

    it('splits the access token of a token request sent to the front', async () => {
      const answer = (await (await tokenRequest(as.clients.split)).json()) as { access_token: string };
      const key = createHash('sha256').update(answer.access_token, 'ascii').digest('base64');
      const record = await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { hashed_signature: { S: key } } }));

      expect(answer.access_token).toMatch(/^[A-Za-z0-9_-]{300,}$/);
      expect(record.Item?.head_and_body?.S?.split('.')).toHaveLength(2);
    });

    it('lets the server check a DPoP proof against the URL the client used: the front’s, not its own', async () => {
      const keys = await generateKeyPair('ES256');

      const onFront = await tokenRequest(as.clients.phantom, {
        dpop: await generateProof(keys, `${front.origin}${TOKEN_PATH}`, 'POST'),
      });
      const onOwnOrigin = await tokenRequest(as.clients.phantom, {
        dpop: await generateProof(keys, `${as.origin}${TOKEN_PATH}`, 'POST'),
      });

      expect(onFront.status).toBe(200);
      expect(((await onFront.json()) as { token_type: string }).token_type).toBe('DPoP');
      expect(onOwnOrigin.status).toBe(400);
      expect(await onOwnOrigin.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    });

    it('lets the server build its device verification URI on the front (RFC 8628 section 3.2)', async () => {
      const answer = await fetch(`${front.origin}/device/auth`, {
        method: 'POST',
        headers: { authorization: basic(as.browserClient), 'content-type': FORM },
        body: new URLSearchParams({ scope: 'openid' }),
      });

      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ verification_uri: `${front.origin}/device` });
    });

    it('is the only way in: the server refuses a request that did not come through the front', async () => {
      const direct = await fetch(as.tokenEndpoint, {
        method: 'POST',
        headers: { authorization: basic(as.clients.split), 'content-type': FORM },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });

      expect(direct.status).toBe(403);
    });
  });
});
