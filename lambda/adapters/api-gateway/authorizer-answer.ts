import type { Decision, ResolvedToken } from '../../core/resolved-token.ts';
import { type AuthorizerContext, contextFor, principalOf } from './authorizer-context.ts';
import type { AuthorizerRequest } from './authorizer-event.ts';
import { type PolicyDocument, policyForRequest } from './token-policy.ts';

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
  readonly context?: AuthorizerContext | DenialContext;
}

export interface SimpleAnswer {
  readonly isAuthorized: boolean;
  readonly context?: AuthorizerContext;
}

export type AuthorizerAnswer = PolicyAnswer | SimpleAnswer;

/**
 * What a Deny policy tells the REST API's `ACCESS_DENIED` gateway response (`$context.authorizer.*`),
 * which builds the RFC 6750 challenge from it. Never token material.
 */
export interface DenialContext {
  readonly [key: string]: string | undefined;
  /**
   * `insufficient_scope`, `insufficient_user_authentication` (RFC 9470 step-up), or `invalid_request`
   * for a path no policy can name exactly.
   */
  readonly error: string;
  /** The scopes the request needs, space-separated, for the challenge's `scope` attribute. */
  readonly scope: string;
  /** Step-up only: the `acr` values the route accepts, space-separated (RFC 9470 `acr_values`). */
  readonly acr_values?: string;
  /** Step-up only: the route's `max_age` in seconds (RFC 9470), when it has one. */
  readonly max_age?: string;
}

/**
 * Turns decisions into the answers API Gateway expects for the event's format. `invalid_token`
 * throws {@link UnauthorizedError} (401); `insufficient_scope` is a Deny (403). Every answer is about
 * the one request in the event: an Allow names exactly its ARN (see {@link policyForRequest}), and
 * API Gateway keeps it only under the request's own identity sources (token, method, path). What
 * depends only on the token (its context) is built once per resolved token and reused on cache
 * hits; answers are frozen so no caller can change a shared one.
 */
export class AuthorizerAnswers {
  private readonly httpApiResponseFormat: 'simple' | 'iam';
  private readonly contexts = new WeakMap<ResolvedToken, AuthorizerContext>();

  constructor(httpApiResponseFormat: 'simple' | 'iam') {
    this.httpApiResponseFormat = httpApiResponseFormat;
  }

  answer(request: AuthorizerRequest, decision: Decision): AuthorizerAnswer {
    // RFC 6750 invalid_token and RFC 9449 invalid_dpop_proof are 401s: one static answer on REST.
    if (decision.effect === 'deny' && (decision.error === 'invalid_token' || decision.error === 'invalid_dpop_proof')) {
      throw new UnauthorizedError();
    }
    const allowed = decision.effect === 'allow';
    if (request.format === 'http-v2' && this.httpApiResponseFormat === 'simple') {
      return allowed ? { isAuthorized: true, context: this.contextFor(decision.token) } : DENIED;
    }
    const { document, allows } = policyForRequest(request.resourceArn, allowed);
    const token = decision.token;
    if (allows && token !== undefined) {
      return { principalId: principalOf(token), policyDocument: document, context: this.contextFor(token) };
    }
    return {
      principalId: token === undefined ? 'anonymous' : principalOf(token),
      policyDocument: document,
      // An allowed request whose ARN no policy can name exactly is refused for its path, not its scopes.
      context: decision.effect === 'deny' ? denialContext(decision) : INEXPRESSIBLE,
    };
  }

  private contextFor(token: ResolvedToken): AuthorizerContext {
    let context = this.contexts.get(token);
    if (context === undefined) {
      context = Object.freeze(contextFor(token));
      this.contexts.set(token, context);
    }
    return context;
  }
}

const DENIED: SimpleAnswer = Object.freeze({ isAuthorized: false });

/**
 * A Deny's context: `insufficient_scope` with the scopes the request needed, or (RFC 9470) a token
 * whose authentication is below the route's, with the `acr` values and `max_age` it needs. Only a
 * REST API's 403 body can show it (its `ACCESS_DENIED` gateway response template).
 */
function denialContext(decision: (Decision & { effect: 'deny' }) | undefined): DenialContext {
  const scope = (decision?.requiredScopes ?? []).join(' ');
  if (decision?.error !== 'insufficient_user_authentication') return { error: 'insufficient_scope', scope };
  const stepUp = decision.requiredAuthentication;
  return {
    error: 'insufficient_user_authentication',
    scope,
    acr_values: (stepUp?.acrValues ?? []).join(' '),
    ...(stepUp?.maxAgeSeconds === undefined ? {} : { max_age: String(stepUp.maxAgeSeconds) }),
  };
}

/** The Deny's context when the token may make the request but IAM cannot name its ARN (`*`, `?`, too long). */
const INEXPRESSIBLE: DenialContext = Object.freeze({ error: 'invalid_request', scope: '' });
