/**
 * A DPoP client (RFC 9449) against the local stack, as in the README's walkthrough, with panva's
 * `dpop` package: it reads the API's protected-resource metadata (RFC 9728) to find the
 * authorization server, discovers its token endpoint, gets a token bound to a fresh key, calls the
 * API with a new proof per request, and shows that the token is refused without one.
 *
 *   npx tsx bin/dpop-client.ts [api_url] [client_id] [client_secret] [scope]
 *
 * Defaults are the local stack's (`npm start`). The token itself is never printed.
 */
import { generateKeyPair, generateProof } from 'dpop';

const [
  apiUrl = 'http://127.0.0.1:3000/v1/orders',
  clientId = 'split-client',
  clientSecret = 'split-secret',
  scope = 'orders:read',
] = process.argv.slice(2);

const json = async (url: string) => (await (await fetch(url)).json()) as Record<string, unknown>;
const api = new URL(apiUrl);
// The invoke URL is the resource; its metadata is served under it without a token.
const resource = api.href.slice(0, api.href.lastIndexOf('/'));
const metadata = await json(`${resource}/.well-known/oauth-protected-resource`);
const [issuer] = metadata.authorization_servers as string[];
process.stdout.write(`resource: ${metadata.resource}, authorization server: ${issuer}\n`);
process.stdout.write(`DPoP algorithms: ${(metadata.dpop_signing_alg_values_supported as string[]).join(' ')}\n`);
const tokenEndpoint = (await json(`${issuer}/.well-known/openid-configuration`)).token_endpoint as string;

const keys = await generateKeyPair('ES256');
const issued = (await (
  await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
      dpop: await generateProof(keys, tokenEndpoint, 'POST'),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  })
).json()) as { access_token: string; token_type: string };
process.stdout.write(`token_type: ${issued.token_type}, ${issued.access_token.length} characters\n`);

for (const attempt of ['with a proof', 'with another proof']) {
  const proof = await generateProof(keys, apiUrl, 'GET', undefined, issued.access_token);
  const answer = await fetch(apiUrl, { headers: { authorization: `DPoP ${issued.access_token}`, dpop: proof } });
  process.stdout.write(`GET ${apiUrl} ${attempt}: ${answer.status}\n`);
}
const stolen = await fetch(apiUrl, { headers: { authorization: `Bearer ${issued.access_token}` } });
process.stdout.write(`GET ${apiUrl} as a Bearer token (no proof): ${stolen.status}\n`);
