import type { Decision, ResolvedToken } from '../../core/resolved-token.ts';
import type { RouteScopePolicy } from '../../core/route-scopes.ts';
import { type AuthorizerContext, contextFor, principalOf } from './authorizer-context.ts';
import { type AuthorizerRequest, stageArnOf } from './authorizer-event.ts';
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

interface TokenAnswers {
  readonly context: AuthorizerContext;
  /** Allow policies by stage ARN: the same token asks again on every route of a stage. */
  readonly allowPolicies: Map<string, PolicyDocument>;
}

/**
 * Turns decisions into the answers API Gateway expects for the event's format. `invalid_token`
 * throws {@link UnauthorizedError} (401); `insufficient_scope` is a Deny (403). What depends only on
 * the token (its context, its Allow policy per stage) is built once per resolved token and reused on
 * cache hits; answers are frozen so no caller can change a shared one.
 */
export class AuthorizerAnswers {
  private readonly routes: RouteScopePolicy;
  private readonly httpApiResponseFormat: 'simple' | 'iam';
  private readonly perToken = new WeakMap<ResolvedToken, TokenAnswers>();

  constructor(routes: RouteScopePolicy, httpApiResponseFormat: 'simple' | 'iam') {
    this.routes = routes;
    this.httpApiResponseFormat = httpApiResponseFormat;
  }

  answer(request: AuthorizerRequest, decision: Decision): AuthorizerAnswer {
    const allowed = decision.effect === 'allow';
    const token = decision.token;
    if (token === undefined || (!allowed && decision.error === 'invalid_token')) throw new UnauthorizedError();
    const answers = this.answersFor(token);
    const { context } = answers;
    if (request.format === 'http-v2' && this.httpApiResponseFormat === 'simple') {
      return allowed ? { isAuthorized: true, context } : DENIED;
    }
    // API Gateway caches a policy answer by identity source and reuses it on every route it allows:
    // it must carry the context whichever route asked first, or a Deny cached from a route the token
    // lacks the scope for would open the others without a JWT for the backend. API Gateway never
    // passes the context on for a route the policy denies.
    return {
      principalId: principalOf(token),
      policyDocument: this.policyFor(answers, token, request, allowed),
      context,
    };
  }

  private answersFor(token: ResolvedToken): TokenAnswers {
    let answers = this.perToken.get(token);
    if (answers === undefined) {
      answers = { context: Object.freeze(contextFor(token)), allowPolicies: new Map() };
      this.perToken.set(token, answers);
    }
    return answers;
  }

  private policyFor(answers: TokenAnswers, token: ResolvedToken, request: AuthorizerRequest, allowed: boolean) {
    if (!allowed) return policyForToken(token, this.routes, request.resourceArn, true);
    const stageArn = stageArnOf(request.resourceArn);
    let policy = answers.allowPolicies.get(stageArn);
    if (policy === undefined) {
      policy = deepFreeze(policyForToken(token, this.routes, request.resourceArn, false));
      answers.allowPolicies.set(stageArn, policy);
    }
    return policy;
  }
}

const DENIED: SimpleAnswer = Object.freeze({ isAuthorized: false });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}
