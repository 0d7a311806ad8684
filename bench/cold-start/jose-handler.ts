import { createRemoteJWKSet, jwtVerify } from 'jose';

/**
 * The reference of the cold-start budget: an authorizer that only verifies a JWT with jose against
 * the issuer's remote JWKS (fetched on first use), as a team that hands JWTs to clients would write.
 */
const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URI ?? 'http://127.0.0.1/'));
const issuer = process.env.ISSUER;
const audience = process.env.AUDIENCE;

export async function handler(event: { headers?: Record<string, string>; methodArn?: string }): Promise<unknown> {
  const header = event.headers?.Authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  try {
    const { payload } = await jwtVerify(token, jwks, {
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    });
    return {
      principalId: String(payload.sub ?? payload.client_id ?? 'unknown'),
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [event.methodArn ?? '*'] }],
      },
    };
  } catch {
    throw new Error('Unauthorized');
  }
}
