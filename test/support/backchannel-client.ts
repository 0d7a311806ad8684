import { type AuthorizationServer, CIBA_GRANT_TYPE, DEMO_USER } from '../../local/authorization-server.ts';

/** What the token endpoint gave the phantom client for the demo user through CIBA. */
export interface BackchannelTokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: string;
  readonly scope: string;
}

/**
 * Obtains real tokens for the demo user the way a CIBA client does (OpenID Connect
 * Client-Initiated Backchannel Authentication, poll mode): a backchannel request naming the user,
 * then the token request with its `auth_req_id`. The local server approves at once. Asking for
 * `offline_access` makes oidc-provider issue a refresh token besides the access token.
 */
export async function requestBackchannelTokens(
  as: AuthorizationServer,
  scope = 'openid offline_access orders:read',
): Promise<BackchannelTokens> {
  const { clientId, clientSecret } = as.clients.phantom;
  const authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const started = await fetch(as.backchannelAuthenticationEndpoint, {
    method: 'POST',
    headers: { authorization },
    body: new URLSearchParams({ scope, login_hint: DEMO_USER }),
  });
  const { auth_req_id: authReqId } = (await started.json()) as { auth_req_id?: unknown };
  if (!started.ok || typeof authReqId !== 'string')
    throw new Error(`backchannel request failed with ${started.status}`);
  const issued = await fetch(as.tokenEndpoint, {
    method: 'POST',
    headers: { authorization },
    body: new URLSearchParams({ grant_type: CIBA_GRANT_TYPE, auth_req_id: authReqId }),
  });
  const tokens = (await issued.json()) as Partial<BackchannelTokens>;
  if (!issued.ok || typeof tokens.refresh_token !== 'string' || typeof tokens.access_token !== 'string') {
    throw new Error(`CIBA token request failed with ${issued.status}`);
  }
  return tokens as BackchannelTokens;
}
