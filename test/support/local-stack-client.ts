import type { ClientCredentials } from '../../local/authorization-server.ts';
import type { ReadyLine } from '../../local/local-stack.ts';

/** `client_secret_basic` credentials, form-encoded before Base64 (RFC 6749 section 2.3.1). */
export function basicAuthorization({ clientId, clientSecret }: ClientCredentials): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** A client-credentials access token from the stack's token endpoint (through the proxy). */
export async function tokenFrom(ready: ReadyLine, kind: 'split' | 'phantom' | 'jwt', scope?: string): Promise<string> {
  const response = await fetch(ready.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basicAuthorization(ready.clients[kind]) },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  if (response.status !== 200) throw new Error(`token request answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Revokes `token` as the client it was issued to; resolves with the status. */
export async function revokeAt(ready: ReadyLine, kind: 'split' | 'phantom' | 'jwt', token: string): Promise<number> {
  const response = await fetch(ready.revocationEndpoint, {
    method: 'POST',
    headers: { authorization: basicAuthorization(ready.clients[kind]) },
    body: new URLSearchParams({ token }),
  });
  await response.arrayBuffer();
  return response.status;
}
