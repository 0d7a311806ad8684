import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEventFormat } from '../../local/api-gateway/authorizer-events.ts';
import type { ClientCredentials } from '../../local/authorization-server.ts';
import { type LocalStack, startLocalStack } from '../../local/local-stack.ts';
import type { CertifiedKey } from '../../local/mutual-tls-certificates.ts';
import { tlsRequest } from '../support/tls-request.ts';

type MutualTls = NonNullable<LocalStack['ready']['mutualTls']>;

/** RFC 8705 section 3.1: base64url SHA-256 of the DER, computed by node:crypto, not by the code under test. */
function x5tS256(certPem: string): string {
  return Buffer.from(new X509Certificate(certPem).fingerprint256.replaceAll(':', ''), 'hex').toString('base64url');
}

/**
 * Issue 12, RFC 8705 over real TLS through the local stack: oidc-provider binds the mTLS clients'
 * tokens to the certificate they present at the front's mutual TLS host (the front passes it on),
 * and the gateway's mutual TLS host (a custom domain with mutual TLS on AWS, REST and HTTP APIs
 * alike) hands the certificate to the authorizer, which accepts each token only with the
 * certificate it is bound to. Certificates come from the openssl command line.
 */
describe.each<GatewayEventFormat>(['rest', 'http'])('certificate-bound tokens with %s events', (eventFormat) => {
  let stack: LocalStack;
  let mtls: MutualTls;
  let ca: string;
  let alice: CertifiedKey;
  let mallory: CertifiedKey;
  const logLines: string[] = [];

  async function tokenFor(
    client: ClientCredentials,
    certificate: CertifiedKey,
  ): Promise<{ access_token: string; token_type: string }> {
    const answer = await tlsRequest(mtls.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }).toString(),
      ca,
      cert: certificate.certPem,
      key: certificate.keyPem,
    });
    expect(answer.status).toBe(200);
    return JSON.parse(answer.body) as { access_token: string; token_type: string };
  }

  const lastDenial = () =>
    logLines
      .map((line) => JSON.parse(line) as { message?: string; reason?: string })
      .filter((line) => line.message === 'denied')
      .at(-1)?.reason;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      eventFormat,
      senderConstrained: true,
      mutualTls: true,
      writeLog: (line) => logLines.push(line),
    });
    mtls = stack.ready.mutualTls as MutualTls;
    ca = readFileSync(mtls.caFile, 'utf8');
    alice = stack.issueClientCertificate('alice');
    mallory = stack.issueClientCertificate('mallory');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(['split', 'phantom', 'jwt'] as const)(
    'accepts the %s client’s certificate-bound token with its certificate only',
    async (kind) => {
      const issued = await tokenFor(mtls.clients[kind], alice);
      const call = (certificate: CertifiedKey) =>
        tlsRequest(`${mtls.gateway}/orders`, {
          headers: { authorization: `Bearer ${issued.access_token}` },
          ca,
          cert: certificate.certPem,
          key: certificate.keyPem,
        });

      const own = await call(alice);
      const other = await call(mallory);
      const otherReason = lastDenial();
      const withoutMutualTls = await fetch(`${stack.ready.gateway}/orders`, {
        headers: { authorization: `Bearer ${issued.access_token}` },
      });
      const withoutReason = lastDenial();

      expect(issued.token_type).toBe('Bearer');
      expect(own.status).toBe(200);
      expect(JSON.parse(own.body)).toMatchObject({ tokenType: kind });
      expect([other.status, otherReason]).toEqual([401, 'certificate_mismatch']);
      expect([withoutMutualTls.status, withoutReason]).toEqual([401, 'certificate_missing']);
    },
  );

  it('binds the JWT to the SHA-256 thumbprint of the certificate the client presented', async () => {
    const issued = await tokenFor(mtls.clients.jwt, alice);
    const { cnf } = decodeJwt(issued.access_token) as { cnf?: Record<string, string> };

    expect(cnf).toEqual({ 'x5t#S256': x5tS256(alice.certPem) });
  });

  it('refuses a TLS connection without a client certificate, as API Gateway fails the handshake', async () => {
    const error = await tlsRequest(`${mtls.gateway}/orders`, { ca }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
  });

  it('keeps unbound tokens working on the mutual TLS host, and serves its metadata without a token', async () => {
    const response = await fetch(`${stack.ready.tokenEndpoint}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${stack.ready.clients.split.clientId}:${stack.ready.clients.split.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
    });
    const unbound = (await response.json()) as { access_token: string };
    const call = await tlsRequest(`${mtls.gateway}/orders`, {
      headers: { authorization: `Bearer ${unbound.access_token}` },
      ca,
      cert: alice.certPem,
      key: alice.keyPem,
    });
    const metadata = await tlsRequest(`${mtls.gateway}/.well-known/oauth-protected-resource`, {
      ca,
      cert: alice.certPem,
      key: alice.keyPem,
    });

    expect(call.status).toBe(200);
    expect(JSON.parse(metadata.body)).toMatchObject({
      resource: mtls.gateway,
      tls_client_certificate_bound_access_tokens: true,
    });
  });
});
