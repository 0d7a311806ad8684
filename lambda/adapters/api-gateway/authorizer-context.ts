import type { ResolvedToken } from '../../core/resolved-token.ts';

/**
 * What backends receive from the authorizer. REST APIs allow only string, number and boolean values,
 * so every value is a string. `authorization` is ready to map onto an integration's header.
 */
export interface AuthorizerContext {
  readonly [key: string]: string;
  readonly jwt: string;
  readonly authorization: string;
  readonly sub: string;
  readonly scope: string;
  readonly client_id: string;
  readonly tokenType: string;
}

export function contextFor(token: ResolvedToken): AuthorizerContext {
  return {
    jwt: token.jwt,
    authorization: `Bearer ${token.jwt}`,
    sub: token.subject ?? '',
    scope: token.scope,
    client_id: token.clientId ?? '',
    tokenType: token.tokenType,
  };
}

/** The principal API Gateway logs for the call: the subject, else the client. */
export function principalOf(token: ResolvedToken): string {
  return token.subject ?? token.clientId ?? 'anonymous';
}
