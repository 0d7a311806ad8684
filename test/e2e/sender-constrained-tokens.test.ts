import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import type { ClientCredentials } from '../../local/authorization-server.ts';
import { type LocalStack, type ReadyLine, startLocalStack } from '../../local/local-stack.ts';
import { athOf, handMadeProof } from '../support/dpop-proofs.ts';

interface IssuedToken {
  readonly access_token: string;
  readonly token_type: string;
}

function basic({ clientId, clientSecret }: ClientCredentials): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

/**
 * Issue 12 over HTTP against the local stack with sender-constrained tokens on: oidc-provider binds
 * tokens to the key of a DPoP proof (RFC 9449) sent through the authorization server's front, the
 * `dpop` package is the client, and the gateway accepts each kind (split, phantom, JWT) with a
 * proof of that key and refuses it without one, with another key, method, URL or token, an old
 * `iat` or a replayed `jti`. Each refusal is checked in the authorizer's log for its own reason, so
 * a 401 for the wrong cause does not pass.
 */
describe.each<GatewayEventFormat>(['rest', 'http'])(
  'DPoP-bound tokens through the local stack with %s events',
  (eventFormat) => {
    let stack: LocalStack;
    let ready: ReadyLine;
    let keys: KeyPair;
    const logLines: string[] = [];

    async function requestToken(client: 'split' | 'phantom' | 'jwt', proofKey?: KeyPair): Promise<IssuedToken> {
      // The proof names the token endpoint the client discovered (the front's); oidc-provider, told
      // by the front's X-Forwarded-Host and -Proto where the client was, takes that URL for its own.
      const response = await fetch(ready.tokenEndpoint, {
        method: 'POST',
        headers: {
          authorization: basic(ready.clients[client]),
          ...(proofKey ? { dpop: await generateProof(proofKey, ready.tokenEndpoint, 'POST') } : {}),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as IssuedToken;
    }

    async function call(
      authorization: string,
      dpopProof?: string,
      path = '/orders',
      method = 'GET',
    ): Promise<{ status: number; wwwAuthenticate: string | null }> {
      const response = await fetch(`${ready.gateway}${path}`, {
        method,
        headers: { authorization, ...(dpopProof ? { dpop: dpopProof } : {}) },
      });
      await response.arrayBuffer();
      return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate') };
    }

    /** The reason (and proof problem) the authorizer logged for its last denial. */
    function lastDenial(): string {
      const denial = logLines
        .map((line) => JSON.parse(line) as { message?: string; reason?: string; detail?: string })
        .filter((line) => line.message === 'denied')
        .at(-1);
      return [denial?.reason, denial?.detail].filter(Boolean).join(':');
    }

    beforeAll(async () => {
      stack = await startLocalStack({
        port: 0,
        eventFormat,
        cacheTtlSeconds: 5,
        senderConstrained: true,
        writeLog: (line) => logLines.push(line),
      });
      ready = stack.ready;
      keys = await generateKeyPair('ES256');
    });

    afterAll(async () => {
      await stack?.stop();
    });

    it('runs the gateway without its result cache: no answer can skip a proof', () => {
      expect(stack.gatewayCacheTtlSeconds).toBe(0);
    });

    it.each(['split', 'phantom', 'jwt'] as const)(
      'accepts the %s client’s DPoP-bound token with a proof of its key, a new proof each time',
      async (client) => {
        const issued = await requestToken(client, keys);
        const url = `${ready.gateway}/orders`;

        const first = await call(
          `DPoP ${issued.access_token}`,
          await generateProof(keys, url, 'GET', undefined, issued.access_token),
        );
        const second = await call(
          `DPoP ${issued.access_token}`,
          await generateProof(keys, url, 'GET', undefined, issued.access_token),
        );
        const withQuery = await call(
          `DPoP ${issued.access_token}`,
          await generateProof(keys, url, 'GET', undefined, issued.access_token),
          '/orders?page=2',
        );

        expect(issued.token_type).toBe('DPoP');
        expect([first.status, second.status, withQuery.status]).toEqual([200, 200, 200]);
      },
    );

    it('keeps unbound Bearer tokens working beside them (the control)', async () => {
      const issued = await requestToken('split');

      expect(issued.token_type).toBe('Bearer');
      expect((await call(`Bearer ${issued.access_token}`)).status).toBe(200);
    });

    it('splits a DPoP-bound JWT with its cnf.jkt in the record, and the JWT client’s JWT names the proof key', async () => {
      const split = await requestToken('split', keys);
      const plain = await requestToken('jwt', keys);
      const { cnf } = decodeJwt(plain.access_token) as { cnf?: { jkt?: string } };

      expect(split.access_token.split('.')).toHaveLength(1);
      expect(cnf?.jkt).toBe(await calculateJwkThumbprint(await exportJWK(keys.publicKey)));
    });

    it.each(['split', 'phantom', 'jwt'] as const)(
      'refuses the %s token without its proof, as Bearer, or with another key, method, URL, token, an old iat or a replayed jti',
      async (client) => {
        const issued = await requestToken(client, keys);
        const other = await requestToken(client, keys);
        const token = issued.access_token;
        const url = `${ready.gateway}/orders`;
        const thief = await generateKeyPair('ES256');
        const outcomes: [string, number][] = [];
        const attempt = async (
          label: string,
          authorization: string,
          proof?: string,
          path?: string,
          method?: string,
        ) => {
          const { status } = await call(authorization, proof, path, method);
          outcomes.push([`${label} ${status === 401 ? lastDenial() : status}`, status]);
        };

        await attempt('bearer', `Bearer ${token}`, await generateProof(keys, url, 'GET', undefined, token));
        await attempt('no proof', `DPoP ${token}`);
        await attempt('other key', `DPoP ${token}`, await generateProof(thief, url, 'GET', undefined, token));
        await attempt('method', `DPoP ${token}`, await generateProof(keys, url, 'POST', undefined, token));
        await attempt(
          'url',
          `DPoP ${token}`,
          await generateProof(keys, `${ready.gateway}/claims`, 'GET', undefined, token),
        );
        await attempt('ath', `DPoP ${token}`, await generateProof(keys, url, 'GET', undefined, other.access_token));
        const oldIat = await handMadeProof(keys, 'ES256', {
          htm: 'GET',
          htu: url,
          iat: Math.floor(Date.now() / 1000) - 120,
          jti: crypto.randomUUID(),
          ath: await athOf(token),
        });
        await attempt('old iat', `DPoP ${token}`, oldIat);
        const once = await generateProof(keys, url, 'GET', undefined, token);
        await attempt('first use', `DPoP ${token}`, once);
        await attempt('replay', `DPoP ${token}`, once);

        expect(outcomes.map(([label]) => label)).toEqual([
          'bearer bound_token_as_bearer',
          'no proof dpop_proof_missing',
          'other key dpop_proof_invalid:key_mismatch',
          'method dpop_proof_invalid:htm',
          'url dpop_proof_invalid:htu',
          'ath dpop_proof_invalid:ath',
          'old iat dpop_proof_invalid:iat',
          'first use 200',
          'replay dpop_proof_replayed:replayed',
        ]);
      },
    );

    it('runs the README’s DPoP client: metadata, a bound token, two proofs, and no Bearer use', async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'bin/dpop-client.ts',
          `${ready.gateway}/orders`,
          'split-client',
          ready.clients.split.clientSecret,
        ],
        { timeout: 30_000 },
      );

      expect(stdout).toContain(`authorization server: ${ready.issuer}`);
      expect(stdout).toContain('token_type: DPoP');
      expect(stdout).toContain('with a proof: 200');
      expect(stdout).toContain('with another proof: 200');
      expect(stdout).toContain('as a Bearer token (no proof): 401');
    });

    it('serves RFC 9728 metadata without a token, as a public route', async () => {
      const response = await fetch(ready.protectedResourceMetadata);
      const metadata = (await response.json()) as Record<string, unknown>;

      expect(ready.protectedResourceMetadata).toBe(`${ready.gateway}/.well-known/oauth-protected-resource`);
      expect(response.status).toBe(200);
      expect(metadata).toEqual({
        resource: ready.gateway,
        authorization_servers: [ready.issuer],
        scopes_supported: expect.arrayContaining(['orders:read', 'orders:write', 'admin']),
        bearer_methods_supported: ['header'],
        dpop_signing_alg_values_supported: ready.dpopAlgorithms,
        dpop_bound_access_tokens_required: false,
      });
    });

    it('answers a refusal with the challenge the API type allows', async () => {
      const { status, wwwAuthenticate } = await call('DPoP not-a-real-token');

      expect(status).toBe(401);
      if (eventFormat === 'http') {
        expect(wwwAuthenticate).toBeNull();
      } else {
        // RFC 9728 section 5.1 and RFC 9449 section 7.1: one static header, both schemes.
        expect(wwwAuthenticate).toContain(`Bearer realm="opaque-token-gateway (local)", error="invalid_token"`);
        expect(wwwAuthenticate).toContain(`resource_metadata="${ready.protectedResourceMetadata}"`);
        expect(wwwAuthenticate).toContain(
          `DPoP realm="opaque-token-gateway (local)", error="invalid_token", algs="${ready.dpopAlgorithms?.join(' ')}"`,
        );
      }
    });
  },
);
