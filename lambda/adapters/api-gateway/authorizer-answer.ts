import type { Decision } from '../../core/resolved-token.ts';
import type { RouteScopePolicy } from '../../core/route-scopes.ts';
import { type AuthorizerContext, contextFor, principalOf } from './authorizer-context.ts';
import type { AuthorizerRequest } from './authorizer-event.ts';
import { type PolicyDocument, policyForToken } from './token-policy.ts';

/** The error message API Gateway (REST and HTTP APIs) turns into a 401. */
export const UNAUTHORIZED_MESSAGE = 'Unauthorized';

/** Thrown to make API Gateway answer 401; any other exception makes it answer 500. */
export class UnauthorizedError extends Error {
  constructor() {
    super(UNAUTHORIZED_MESSAGE);
    this.name = 'UnauthorizedError';
  }
}

export interface PolicyAnswer {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  readonly context?: AuthorizerContext;
}

export interface SimpleAnswer {
  readonly isAuthorized: boolean;
  readonly context?: AuthorizerContext;
}

export type AuthorizerAnswer = PolicyAnswer | SimpleAnswer;

/**
 * Turns a decision into the answer API Gateway expects for the event's format. `invalid_token`
 * throws {@link UnauthorizedError} (401); `insufficient_scope` is a Deny (403).
 */
export function answerFor(
  request: AuthorizerRequest,
  decision: Decision,
  routes: RouteScopePolicy,
  httpApiResponseFormat: 'simple' | 'iam',
): AuthorizerAnswer {
  const allowed = decision.effect === 'allow';
  const token = decision.token;
  if (token === undefined || (!allowed && decision.error === 'invalid_token')) throw new UnauthorizedError();
  const context = contextFor(token);
  if (request.format === 'http-v2' && httpApiResponseFormat === 'simple') {
    return allowed ? { isAuthorized: true, context } : { isAuthorized: false };
  }
  // API Gateway caches a policy answer by identity source and reuses it on every route it allows:
  // it must carry the context whichever route asked first, or a Deny cached from a route the token
  // lacks the scope for would open the others without a JWT for the backend. API Gateway never
  // passes the context on for a route the policy denies.
  return {
    principalId: principalOf(token),
    policyDocument: policyForToken(token, routes, request.resourceArn, !allowed),
    context,
  };
}
