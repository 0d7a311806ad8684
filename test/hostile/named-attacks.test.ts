/**
 * Each attack of issue 6, end to end through the real composition root (createAuthorizer with its
 * DynamoDB, introspection and JWKS adapters) against dynalite and oidc-provider on 127.0.0.1, each
 * behind a counting proxy so "no I/O" and "no stampede" are measured, not assumed.
 *
 * Covered elsewhere, not repeated here:
 * - a tampered `head_and_body`, an expired record still in the table, a token for another
 *   audience: test/integration/authorizer-handler.integration.test.ts (the Lambda handler, real parts);
 * - the same attacks at the verifier and resolver: test/lambda/core/scenarios/*.scenarios.ts;
 * - one character of any token changed, parts of tokens swapped, any header value, any event:
 *   the property tests beside this file.
 */
import { createPublicKey } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorizer } from '../../lambda/authorizer/authorizer.ts';
import type { AuthorizerConfig } from '../../lambda/authorizer/config.ts';
import {
  EVENT_FORMATS,
  type EventFormat,
  type EventRoute,
  eventFor,
  resourceArnFor,
} from '../support/api-gateway-events.ts';
import { classifyAnswer, type Outcome, outcomeOf } from '../support/authorizer-outcome.ts';
import { NON_TOKEN68_CHARACTERS } from '../support/hostile-arbitraries.ts';
import { LogCapture } from '../support/log-capture.ts';
import { RealParts } from '../support/real-parts.ts';
import { type ScriptedHttpServer, startScriptedHttpServer } from '../support/scripted-http-server.ts';

type Status = 200 | 401 | 403 | 500 | 'malformed';
const ORDERS: EventRoute = { method: 'GET', path: '/orders' };
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const nowSeconds = () => Math.floor(Date.now() / 1000);

function statusOf(outcome: Outcome): Status {
  return { allow: 200, forbidden: 403, unauthorized: 401, error: 500, malformed: 'malformed' as const }[
    outcome.kind
  ] as Status;
}

/** One configuration, answering HTTP APIs in the form each format asks for (simple or IAM). */
type ByFormat = (format: EventFormat) => Authorizer;

async function send(
  authorizer: ByFormat,
  authorization: string | readonly string[] | undefined,
  format: EventFormat = 'rest-request',
  route: EventRoute = ORDERS,
): Promise<Outcome> {
  return outcomeOf(authorizer(format), eventFor(format, authorization, route), format, resourceArnFor(format, route));
}

const statusFor = async (...args: Parameters<typeof send>): Promise<Status> => statusOf(await send(...args));

describe('named attacks, end to end against dynalite and oidc-provider', () => {
  const logs = new LogCapture();
  let parts: RealParts;
  /** Split tokens with the phantom fallback; plain JWTs refused (the default). */
  let authorizer: ByFormat;
  /** The same, with plain JWTs accepted. */
  let jwtAuthorizer: ByFormat;
  let attacker: { privateKey: CryptoKey; publicJwk: JWK };

  /** The real composition root for `config`, once per HTTP API answer form. */
  function byFormat(config: AuthorizerConfig = parts.config()): ByFormat {
    const simple = parts.authorizer({ ...config, httpApiResponseFormat: 'simple' });
    const iam = parts.authorizer({ ...config, httpApiResponseFormat: 'iam' });
    return (format) => (format === 'http-iam' ? iam : simple);
  }

  beforeAll(async () => {
    logs.install();
    parts = await RealParts.start(logs);
    authorizer = byFormat();
    jwtAuthorizer = byFormat(parts.config(parts.proxied, { jwtValidationEnabled: true }));
    const pair = await generateKeyPair('RS256', { extractable: true });
    attacker = { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'attacker' } };
  });

  afterAll(async () => {
    await parts?.stop();
    logs.uninstall();
  });

  /** A JWT signed with the attacker's key, carrying the issuer's claims. */
  async function signAsAttacker(header: Record<string, unknown> = {}, claims: JWTPayload = {}): Promise<string> {
    const jwt = await new SignJWT({
      iss: parts.as.issuer,
      aud: parts.as.audience,
      scope: 'orders:read orders:write',
      exp: nowSeconds() + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'attacker', ...header })
      .sign(attacker.privateKey);
    logs.remember('attacker JWT', jwt);
    return jwt;
  }

  /** Stores `headAndBody` under a fresh opaque token, as a forged table write would. */
  async function forgedRecord(headAndBody: string): Promise<string> {
    const opaque = base64url.encode(crypto.getRandomValues(new Uint8Array(256)));
    await parts.split(`${headAndBody}.${opaque}`);
    return opaque;
  }

  it('sanity: a real split token and a real phantom token are allowed (200)', async () => {
    expect(await statusFor(authorizer, `Bearer ${await parts.split(await parts.jwt())}`)).toBe(200);
    expect(await statusFor(authorizer, `Bearer ${await parts.phantom()}`)).toBe(200);
  });

  describe('forged signatures and key selection', () => {
    it('alg none: an unsigned token with the issuer claims is refused in the table and as a JWT', async () => {
      const claims = { iss: parts.as.issuer, aud: parts.as.audience, scope: 'orders:write', exp: nowSeconds() + 300 };
      const kid = parts.as.keys.find((key) => key.alg === 'RS256')?.kid;
      const headAndBody = `${encode({ alg: 'none', typ: 'at+jwt', kid })}.${encode(claims)}`;

      const fromTable = await statusFor(authorizer, `Bearer ${await forgedRecord(headAndBody)}`);
      const asJwt = await Promise.all(
        [`${headAndBody}.`, `${headAndBody}.AAAA`].map((jwt) => statusFor(jwtAuthorizer, `Bearer ${jwt}`)),
      );

      expect([fromTable, ...asJwt]).toEqual([401, 401, 401]);
    });

    it('HMAC signed with the issuer RSA public key (as PEM, as JWK JSON, as modulus) is refused', async () => {
      const jwks = (await (await fetch(parts.as.jwksUri)).json()) as { keys: JWK[] };
      const rsa = jwks.keys.find((key) => key.kty === 'RSA') as JWK;
      const pem = createPublicKey({ key: rsa as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const secrets = [String(pem), JSON.stringify(rsa), String(rsa.n)].map((text) => new TextEncoder().encode(text));
      const statuses: Status[] = [];
      for (const secret of secrets) {
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          const forged = await new SignJWT({ scope: 'orders:read orders:write', sub: 'attacker' })
            .setProtectedHeader({ alg, typ: 'at+jwt', kid: rsa.kid as string })
            .setIssuer(parts.as.issuer)
            .setAudience(parts.as.audience)
            .setExpirationTime('5m')
            .sign(secret);
          logs.remember('HMAC forgery', forged);
          statuses.push(await statusFor(authorizer, `Bearer ${await parts.split(forged)}`));
          statuses.push(await statusFor(jwtAuthorizer, `Bearer ${forged}`));
        }
      }

      expect(new Set(statuses)).toEqual(new Set([401]));
    });

    it('unknown kid: 300 tokens with kids the JWKS lacks are refused after one JWKS fetch, not 300', async () => {
      const fresh = byFormat(parts.config(parts.proxied, { jwtValidationEnabled: true }));
      parts.asProxy.reset();
      const tokens = await Promise.all(
        Array.from({ length: 300 }, (_, i) => signAsAttacker({ kid: `rotated-${i}-${crypto.randomUUID()}` })),
      );

      const concurrent = await Promise.all(tokens.slice(0, 200).map((jwt) => statusFor(fresh, `Bearer ${jwt}`)));
      const sequential: Status[] = [];
      for (const jwt of tokens.slice(200)) sequential.push(await statusFor(fresh, `Bearer ${jwt}`));

      expect(new Set([...concurrent, ...sequential])).toEqual(new Set([401]));
      expect(parts.asProxy.count('/jwks')).toBe(1);
    });

    it('unknown kid: a steady stream refetches the JWKS at most once per cooldown', async () => {
      const cooldownMs = 500;
      const fresh = byFormat(parts.config(parts.proxied, { jwtValidationEnabled: true, jwksCooldownMs: cooldownMs }));
      parts.asProxy.reset();
      const startedAt = Date.now();
      let sent = 0;
      while (Date.now() - startedAt < 2000) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => signAsAttacker({ kid: crypto.randomUUID() })));
        const statuses = await Promise.all(batch.map((jwt) => statusFor(fresh, `Bearer ${jwt}`)));
        expect(new Set(statuses)).toEqual(new Set([401]));
        sent += batch.length;
      }
      const elapsedMs = Date.now() - startedAt;

      console.info(
        `[hostile] unknown kids: ${sent} tokens in ${elapsedMs} ms -> ${parts.asProxy.count('/jwks')} JWKS fetches (cooldown ${cooldownMs} ms)`,
      );
      expect(sent).toBeGreaterThan(100);
      expect(parts.asProxy.count('/jwks')).toBeLessThanOrEqual(1 + Math.ceil(elapsedMs / cooldownMs));
    });

    it('jku, x5u, jwk and x5c headers are refused, and the URLs they name are never fetched', async () => {
      const attackerJwks: ScriptedHttpServer = await startScriptedHttpServer((_request, _body, response) =>
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: [attacker.publicJwk] })),
      );
      try {
        const headers: Record<string, unknown>[] = [
          { jku: `${attackerJwks.endpoint}/jwks` },
          { x5u: `${attackerJwks.endpoint}/cert.pem` },
          { jwk: attacker.publicJwk },
          { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
        ];
        const statuses: Status[] = [];
        for (const header of headers) {
          const byAttacker = await signAsAttacker(header);
          // Of the client meant to hold JWTs, so only the header can refuse it on the JWT path.
          const byIssuer = await parts.signWithIssuerKey({ client_id: parts.as.clients.jwt.clientId }, header);
          for (const jwt of [byAttacker, byIssuer]) {
            statuses.push(await statusFor(authorizer, `Bearer ${await parts.split(jwt)}`));
            statuses.push(await statusFor(jwtAuthorizer, `Bearer ${jwt}`));
          }
        }

        expect(new Set(statuses)).toEqual(new Set([401]));
        expect(attackerJwks.requests).toBe(0);
      } finally {
        await attackerJwks.stop();
      }
    });
  });

  describe('claims, signed with the issuer own key', () => {
    const cases: [string, JWTPayload, Record<string, unknown>, string[]?][] = [
      ['expired beyond the clock skew', { exp: nowSeconds() - 120 }, {}],
      ['nbf ahead beyond the clock skew', { nbf: nowSeconds() + 600 }, {}],
      ['issued by someone else (iss)', { iss: 'https://evil.example.test' }, {}],
      ['issued for another API (aud)', { aud: 'https://other-api.example.test' }, {}],
      ['of another type (typ JWT, an ID token shape)', {}, { typ: 'JWT' }],
      ['without a typ', {}, { typ: undefined }],
      ['without exp', {}, {}, ['exp']],
    ];
    for (const [label, claims, header, omit] of cases) {
      it(`a token ${label} is refused as a split token and as a JWT (401)`, async () => {
        // Of the client meant to hold JWTs, so only the claim under test can refuse it on the JWT path.
        const jwtClient = { client_id: parts.as.clients.jwt.clientId };
        const signed = await parts.signWithIssuerKey({ ...jwtClient, ...claims }, header);
        const jwt = omit
          ? await parts.signWithIssuerKey(
              { ...jwtClient, ...Object.fromEntries(omit.map((c) => [c, undefined])) },
              header,
            )
          : signed;
        // The record keeps a future expiration, so only the JWT's own claims can refuse it.
        const opaque = await parts.split(jwt, { expiration: nowSeconds() + 300 });

        expect(await statusFor(authorizer, `Bearer ${opaque}`)).toBe(401);
        expect(await statusFor(jwtAuthorizer, `Bearer ${jwt}`)).toBe(401);
      });
    }
  });

  describe('records and tokens recombined', () => {
    it('halves of two valid tokens swapped are refused: record of one under the other, and JWT parts', async () => {
      const [first, second] = await Promise.all([parts.jwt('orders:read', 'jwt'), parts.jwt('orders:write', 'jwt')]);
      // Both come from one key, so their headers are the same bytes: payloads and signatures are swapped.
      const [h1, p1, s1] = first.split('.');
      const [h2, p2, s2] = second.split('.');
      expect(h1).toBe(h2);
      const swappedRecord = await parts.split(first, { headAndBody: `${h2}.${p2}` });

      const statuses = [
        await statusFor(authorizer, `Bearer ${swappedRecord}`),
        await statusFor(jwtAuthorizer, `Bearer ${h1}.${p1}.${s2}`),
        await statusFor(jwtAuthorizer, `Bearer ${h1}.${p2}.${s1}`),
      ];

      expect(statuses).toEqual([401, 401, 401]);
      expect(await statusFor(jwtAuthorizer, `Bearer ${first}`)).toBe(200);
    });

    it('a record keyed by another hash algorithm is unknown (401); the configured one resolves', async () => {
      const jwt = await parts.jwt();
      const sha512 = await parts.split(jwt, { hashAlgorithm: 'SHA-512' });
      const sha384Authorizer = byFormat(parts.config(parts.proxied, { tokenHashAlgorithm: 'SHA-384' }));
      const sha512Authorizer = byFormat(parts.config(parts.proxied, { tokenHashAlgorithm: 'SHA-512' }));

      expect(await statusFor(authorizer, `Bearer ${sha512}`)).toBe(401);
      expect(await statusFor(sha384Authorizer, `Bearer ${sha512}`)).toBe(401);
      expect(await statusFor(sha512Authorizer, `Bearer ${sha512}`)).toBe(200);
    });

    it('a split token presented as its whole JWT is refused when plain JWTs are off, without a table read', async () => {
      const jwt = await parts.jwt();
      await parts.split(jwt);
      parts.dynamoProxy.reset();

      expect(await statusFor(authorizer, `Bearer ${jwt}`)).toBe(401);
      expect(parts.dynamoProxy.count('GetItem')).toBe(0);
    });

    it('the signature of a plain JWT presented as a split token is unknown (401)', async () => {
      const jwt = await parts.jwt('orders:read', 'jwt');
      const signature = jwt.split('.')[2] as string;

      expect(await statusFor(jwtAuthorizer, `Bearer ${jwt}`)).toBe(200);
      expect(await statusFor(jwtAuthorizer, `Bearer ${signature}`)).toBe(401);
      expect(await statusFor(authorizer, `Bearer ${signature}`)).toBe(401);
    });
  });

  describe('the Authorization header, bounded before any I/O', () => {
    let valid: string;
    beforeAll(async () => {
      valid = await parts.split(await parts.jwt());
    });

    const expectNoIo = () => {
      expect(parts.dynamoProxy.count()).toBe(0);
      expect(parts.asProxy.count()).toBe(0);
    };

    it('an oversized header is refused in every event format with no DynamoDB or AS request', async () => {
      parts.dynamoProxy.reset();
      parts.asProxy.reset();
      const statuses: Status[] = [];
      for (const format of EVENT_FORMATS) {
        for (const size of [4097, 8192, 65_537, 1_048_576]) {
          statuses.push(await statusFor(authorizer, `Bearer ${valid}`.padEnd(size, 'A'), format));
        }
      }

      expect(new Set(statuses)).toEqual(new Set([401]));
      expectNoIo();
    });

    it('characters outside token68 anywhere in a valid token are refused with no I/O', async () => {
      parts.dynamoProxy.reset();
      parts.asProxy.reset();
      const statuses: Status[] = [];
      for (const char of NON_TOKEN68_CHARACTERS) {
        // A space right after the scheme's is just one more separator (RFC 6750 takes 1*SP).
        for (const at of char === ' '
          ? [1, Math.floor(valid.length / 2), valid.length]
          : [0, 1, Math.floor(valid.length / 2), valid.length]) {
          statuses.push(await statusFor(authorizer, `Bearer ${valid.slice(0, at)}${char}${valid.slice(at)}`));
        }
      }
      statuses.push(await statusFor(authorizer, `Bearer ${valid}=${valid}`));

      expect(new Set(statuses)).toEqual(new Set([401]));
      expectNoIo();
    });

    it('the scheme is case-insensitive and takes several spaces; anything else around it is refused', async () => {
      const accepted = await Promise.all(
        [`bearer ${valid}`, `BEARER ${valid}`, `bEaReR ${valid}`, `Bearer    ${valid}`].map((h) =>
          statusFor(authorizer, h),
        ),
      );
      parts.dynamoProxy.reset();
      parts.asProxy.reset();
      const refused: Status[] = [];
      for (const header of [
        ` Bearer ${valid}`,
        `Bearer ${valid} `,
        `Bearer\t${valid}`,
        `Bearer:${valid}`,
        `Bearer: ${valid}`,
        `Bearer${valid}`,
        `Bearer ${valid}, Bearer ${valid}`,
        `Bearer ${valid},Bearer ${valid}`,
        `Bearer Bearer ${valid}`,
        `Token ${valid}`,
        `Basic ${valid}`,
        valid,
      ]) {
        for (const format of EVENT_FORMATS) refused.push(await statusFor(authorizer, header, format));
      }

      expect(accepted).toEqual([200, 200, 200, 200]);
      expect(new Set(refused)).toEqual(new Set([401]));
      expectNoIo();
    });

    it('two Authorization headers are refused even when both carry the valid token', async () => {
      parts.dynamoProxy.reset();
      parts.asProxy.reset();
      const statuses: Status[] = [];
      for (const format of EVENT_FORMATS) {
        statuses.push(await statusFor(authorizer, [`Bearer ${valid}`, `Bearer ${valid}`], format));
        statuses.push(await statusFor(authorizer, ['Bearer forged-0123456789', `Bearer ${valid}`], format));
      }
      const mixedCase = eventFor('rest-request', `Bearer ${valid}`);
      (mixedCase.headers as Record<string, string>).authorization = `Bearer ${valid}`;
      statuses.push(
        statusOf(
          await outcomeOf(
            authorizer('rest-request'),
            mixedCase,
            'rest-request',
            resourceArnFor('rest-request', ORDERS),
          ),
        ),
      );

      expect(new Set(statuses)).toEqual(new Set([401]));
      expectNoIo();
    });
  });

  describe('introspection answers that must not open anything', () => {
    let scripted: ScriptedHttpServer;
    let phantomAuthorizer: ByFormat;
    let applicationJwtAuthorizer: ByFormat;
    const introspectorId = () => parts.as.clients.introspector.clientId;
    const answer = (status: number, contentType: string | undefined, body: string) =>
      scripted.respondWith((_request, _body, response) =>
        response.writeHead(status, contentType ? { 'content-type': contentType } : {}).end(body),
      );

    beforeAll(async () => {
      scripted = await startScriptedHttpServer((_q, _b, response) => response.writeHead(204).end());
      const base = parts.config(parts.proxied);
      const introspection = {
        ...(base.introspection as NonNullable<typeof base.introspection>),
        endpoint: `${scripted.endpoint}/introspect`,
      };
      phantomAuthorizer = byFormat({ ...base, tokenTableName: undefined, introspection });
      applicationJwtAuthorizer = byFormat({
        ...base,
        tokenTableName: undefined,
        introspection: { ...introspection, responseFormat: 'jwt' },
      });
    });
    afterAll(() => scripted?.stop());

    const opaque = () => base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
    const RFC9701 = 'application/token-introspection+jwt';

    it('sanity: an active RFC 9701 answer signed by the issuer is allowed', async () => {
      const signed = await parts.signWithIssuerKey(
        {
          aud: introspectorId(),
          token_introspection: {
            active: true,
            iss: parts.as.issuer,
            aud: parts.as.audience,
            token_type: 'Bearer',
            scope: 'orders:read',
            exp: nowSeconds() + 60,
          },
        },
        { typ: 'token-introspection+jwt' },
      );
      answer(200, RFC9701, signed);

      expect(await statusFor(phantomAuthorizer, `Bearer ${opaque()}`)).toBe(200);
    });

    it('inactive, as JSON, inside a signed answer, or as 204, is a 401', async () => {
      const signedInactive = await parts.signWithIssuerKey(
        { aud: introspectorId(), token_introspection: { active: false } },
        { typ: 'token-introspection+jwt' },
      );
      const statuses: Status[] = [];
      for (const [status, type, body] of [
        [200, 'application/json', '{"active":false}'],
        [204, undefined, ''],
      ] as const) {
        answer(status, type, body);
        statuses.push(await statusFor(phantomAuthorizer, `Bearer ${opaque()}`));
        statuses.push(await statusFor(applicationJwtAuthorizer, `Bearer ${opaque()}`));
      }
      answer(200, RFC9701, signedInactive);
      statuses.push(await statusFor(phantomAuthorizer, `Bearer ${opaque()}`));
      answer(200, 'application/jwt', '');
      statuses.push(await statusFor(applicationJwtAuthorizer, `Bearer ${opaque()}`));

      expect(new Set(statuses)).toEqual(new Set([401]));
    });

    it('an unsigned JWT, or one signed by another key, claiming active is a 401 in both answer forms', async () => {
      const active = { active: true, scope: 'orders:read orders:write', exp: nowSeconds() + 60 };
      const envelope = { iss: parts.as.issuer, aud: introspectorId(), token_introspection: active };
      const accessClaims = { iss: parts.as.issuer, aud: parts.as.audience, ...active };
      const issuerKid = parts.as.keys.find((key) => key.alg === 'RS256')?.kid;
      const forgeries = [
        [RFC9701, `${encode({ alg: 'none', typ: 'token-introspection+jwt' })}.${encode(envelope)}.`],
        [RFC9701, await signAsAttacker({ typ: 'token-introspection+jwt' }, envelope)],
        [RFC9701, await signAsAttacker({ typ: 'token-introspection+jwt', kid: issuerKid }, envelope)],
        ['application/jwt', `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(accessClaims)}.`],
        ['application/jwt', await signAsAttacker({}, accessClaims)],
        ['application/jwt', await signAsAttacker({ kid: issuerKid }, accessClaims)],
      ] as const;
      const statuses: Status[] = [];
      for (const [type, body] of forgeries) {
        answer(200, type, body);
        statuses.push(
          await statusFor(type === RFC9701 ? phantomAuthorizer : applicationJwtAuthorizer, `Bearer ${opaque()}`),
        );
      }

      expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    });

    it('a signed answer of the wrong kind is a 401: an access token as an RFC 9701 answer, another audience', async () => {
      const accessToken = await parts.signWithIssuerKey({ scope: 'orders:write' });
      const forOtherClient = await parts.signWithIssuerKey(
        { aud: 'another-introspector', token_introspection: { active: true, exp: nowSeconds() + 60 } },
        { typ: 'token-introspection+jwt' },
      );
      const statuses: Status[] = [];
      for (const body of [accessToken, forOtherClient]) {
        answer(200, RFC9701, body);
        statuses.push(await statusFor(phantomAuthorizer, `Bearer ${opaque()}`));
      }

      expect(statuses).toEqual([401, 401]);
    });

    it('malformed answers are an authorization-server fault: 500, never an allow', async () => {
      const bodies: [number, string | undefined, string][] = [
        [200, 'application/json', '{"active":true,"scope":"orders:write"}'],
        [200, 'application/json', '{not json'],
        [200, 'application/json', '[]'],
        [200, RFC9701, 'not.a jwt'],
        [200, RFC9701, '{"active":true}'],
        [200, 'text/html', '<html>hello</html>'],
        [200, undefined, 'eyJhbGciOiJub25lIn0.e30.'],
        [200, RFC9701, 'a'.repeat(70_000)],
        [401, 'application/json', '{"error":"invalid_client"}'],
        [500, undefined, ''],
        [302, undefined, ''],
      ];
      const statuses: Status[] = [];
      for (const [status, type, body] of bodies) {
        answer(status, type, body);
        statuses.push(await statusFor(phantomAuthorizer, `Bearer ${opaque()}`));
      }

      expect(new Set(statuses)).toEqual(new Set([500]));
    });
  });

  describe('what the backend receives comes from the verified token only', () => {
    it('client headers and a preset authorizer context cannot change the context', async () => {
      const jwt = await parts.jwt('orders:read');
      const opaque = await parts.split(jwt);
      const forged = await signAsAttacker({}, { sub: 'admin', scope: 'admin' });
      const expected = {
        jwt,
        authorization: `Bearer ${jwt}`,
        sub: JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).sub,
        scope: 'orders:read',
        client_id: parts.as.clients.split.clientId,
        tokenType: 'split',
      };
      const contexts: unknown[] = [];
      for (const format of EVENT_FORMATS) {
        const event = eventFor(format, `Bearer ${opaque}`);
        const clientHeaders = {
          'x-verified-jwt': forged,
          'X-Verified-Jwt': forged,
          jwt: forged,
          'x-jwt': forged,
          'x-amzn-oidc-data': forged,
          context: JSON.stringify({ jwt: forged }),
          sub: 'admin',
          scope: 'admin',
        };
        if (event.headers) Object.assign(event.headers as object, clientHeaders);
        event.queryStringParameters = { jwt: forged, scope: 'admin' };
        event.requestContext = {
          ...(event.requestContext as object),
          authorizer: { jwt: forged, sub: 'admin', scope: 'admin', lambda: { jwt: forged } },
        };
        event.stageVariables = { jwt: forged };
        const outcome = await outcomeOf(authorizer(format), event, format, resourceArnFor(format, ORDERS));
        contexts.push(outcome.kind === 'allow' ? outcome.context : outcome.kind);
      }

      for (const context of contexts) expect(context).toEqual(expected);
    });
  });

  describe('answers cached by API Gateway', () => {
    it('an Allow names exactly its request: evaluated for another method or path it opens nothing', async () => {
      const jwt = await parts.jwt('orders:read orders:write');
      const opaque = await parts.split(jwt);

      const first = await send(authorizer, `Bearer ${opaque}`, 'rest-request', ORDERS);
      const answer = first.kind === 'allow' ? first.answer : undefined;
      const elsewhere = [
        { method: 'POST', path: '/orders' },
        { method: 'GET', path: '/orders/42' },
        { method: 'GET', path: '/orders/' },
        { method: 'DELETE', path: '/orders' },
        { method: 'GET', path: '/orders/42/secret' },
      ].map((route) => answer && classifyAnswer(answer, 'rest-request', resourceArnFor('rest-request', route)).kind);

      expect(first.kind).toBe('allow');
      expect(elsewhere).toEqual(['forbidden', 'forbidden', 'forbidden', 'forbidden', 'forbidden']);
    });

    it('a Deny carries no JWT: API Gateway never forwards on a Deny, and the 403 body needs only the scope', async () => {
      const jwt = await parts.jwt('orders:read');
      const opaque = await parts.split(jwt);

      const denied = await send(authorizer, `Bearer ${opaque}`, 'rest-request', { method: 'POST', path: '/orders' });

      expect(denied.kind).toBe('forbidden');
      expect(denied.kind === 'forbidden' && denied.answer.context).toEqual({
        error: 'insufficient_scope',
        scope: 'orders:write',
      });
    });
  });

  it('wrote no token, JWT, record or secret to any log line', () => {
    expect(logs.rememberedCount).toBeGreaterThan(50);
    expect(logs.leaks).toEqual([]);
  });
});
