/** Options for {@link requestClientCredentialsToken}. */
export interface ClientCredentialsTokenRequest {
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes. @default none (the server's default) */
  readonly scope?: string;
  /** RFC 8707 resource indicator. @default none (the server's default for the client) */
  readonly resource?: string;
  /** Gives up after this long. @default 5000 */
  readonly timeoutMs?: number;
}

/** A successful token response (RFC 6749 section 5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope?: string;
}

/** The token endpoint refused the request; carries the OAuth `error` code, never the secret. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  readonly status: number;
  /** OAuth error code such as `invalid_client`, or `invalid_response`. */
  readonly error: string;

  constructor(status: number, error: string, description?: string) {
    super(`token request failed with ${status} ${error}${description ? `: ${description}` : ''}`);
    this.status = status;
    this.error = error;
  }
}

/**
 * Asks for an access token with the client credentials grant, authenticating with HTTP Basic
 * (`client_secret_basic`, id and secret form-encoded as RFC 6749 section 2.3.1 asks).
 */
export async function requestClientCredentialsToken(request: ClientCredentialsTokenRequest): Promise<TokenResponse> {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (request.scope !== undefined) body.set('scope', request.scope);
  if (request.resource !== undefined) body.set('resource', request.resource);
  const basic = Buffer.from(`${formEncode(request.clientId)}:${formEncode(request.clientSecret)}`).toString('base64');
  const response = await fetch(request.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
    body,
    signal: AbortSignal.timeout(request.timeoutMs ?? 5000),
  });
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const { error, error_description: description } = (json ?? {}) as Record<string, unknown>;
    throw new TokenRequestError(
      response.status,
      typeof error === 'string' ? error : 'invalid_response',
      typeof description === 'string' ? description : undefined,
    );
  }
  if (!isTokenResponse(json)) throw new TokenRequestError(response.status, 'invalid_response');
  return json;
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function isTokenResponse(value: unknown): value is TokenResponse {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.access_token === 'string' &&
    typeof candidate.token_type === 'string' &&
    typeof candidate.expires_in === 'number' &&
    (candidate.scope === undefined || typeof candidate.scope === 'string')
  );
}
