/**
 * A standard OAuth client (openid-client) that knows nothing but the issuer and its credentials,
 * as in the README's walkthrough: it discovers the endpoints from the issuer, gets a token with
 * the client credentials grant, calls the API with it, and revokes it.
 *
 *   npx tsx bin/standard-client.ts [issuer] [client_id] [client_secret] [scope] [api_url]
 *
 * Defaults are the local stack's (`npm start`). The token itself is never printed.
 */
import * as client from 'openid-client';

const [
  issuer = 'http://127.0.0.1:3001',
  clientId = 'split-client',
  clientSecret = 'split-secret',
  scope = 'orders:read',
  apiUrl = 'http://127.0.0.1:3000/v1/orders',
] = process.argv.slice(2);

const issuerUrl = new URL(issuer);
// openid-client refuses plain http unless told; the local stack serves http on loopback only.
const loopback = issuerUrl.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuerUrl.hostname);
const config = await client.discovery(
  issuerUrl,
  clientId,
  clientSecret,
  undefined,
  loopback ? { execute: [client.allowInsecureRequests] } : {},
);
const metadata = config.serverMetadata();
process.stdout.write(
  `token endpoint: ${metadata.token_endpoint}\nrevocation endpoint: ${metadata.revocation_endpoint}\n`,
);

const tokens = await client.clientCredentialsGrant(config, { scope });
const kind = tokens.access_token.split('.').length === 3 ? 'a JWT' : 'opaque';
process.stdout.write(`access token: ${kind}, ${tokens.access_token.length} characters\n`);

const answer = await fetch(apiUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
process.stdout.write(`GET ${apiUrl}: ${answer.status} ${await answer.text()}\n`);

const revoked = await client.tokenRevocation(config, tokens.access_token).then(
  () => 'revoked',
  (error: { error?: string; message?: string }) => `revocation refused: ${error.error ?? error.message}`,
);
process.stdout.write(`${revoked}\n`);
