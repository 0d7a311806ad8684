import { type ValidAnswer, validateAuthorizerAnswer } from './authorizer-answer-validation.ts';
import {
  type GatewayEventFormat,
  type GatewayRequest,
  httpApiAuthorizerEvent,
  type MethodArnPath,
  methodArnOf,
  restRequestAuthorizerEvent,
  routeArnOf,
} from './authorizer-events.ts';
import { AuthorizerResultCache } from './authorizer-result-cache.ts';
import { evaluateInvokePolicy } from './iam-policy.ts';
import { identitySourceValues, missesIdentitySource } from './identity-sources.ts';

/** An authorizer as API Gateway invokes the Lambda: the answer, or an exception. */
export type AuthorizerFunction = (event: unknown) => Promise<unknown>;

/**
 * "Timeout for Lambda authorizer response: 10000 ms" (HTTP API quotas,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html). AWS documents
 * no REST value; the same is assumed.
 */
export const AUTHORIZER_TIMEOUT_MS = 10_000;

/** Settings of {@link GatewayAuthorization}. */
export interface GatewayAuthorizationOptions {
  readonly format: GatewayEventFormat;
  readonly authorizer: AuthorizerFunction;
  /** The authorizer's identity sources, in the API type's syntax (the constructs' constants). */
  readonly identitySources: readonly string[];
  /** The authorizer's result TTL; 0 turns caching off. */
  readonly resultsTtlSeconds: number;
  /** HTTP APIs: simple responses (`isAuthorized`) rather than IAM policies. @default true */
  readonly simpleResponses?: boolean;
  /** What REST method ARNs hold for non-canonical paths (undocumented). @default 'as-sent' */
  readonly methodArnPath?: MethodArnPath;
  /** @default {@link AUTHORIZER_TIMEOUT_MS} */
  readonly authorizerTimeoutMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

/** How API Gateway ends the authorization of a request. */
export type AuthorizationOutcome =
  /** The integration is called; `context` is what it may map from `$context.authorizer`. */
  | { readonly kind: 'allow'; readonly context: Readonly<Record<string, unknown>> }
  /** 401: an identity source is missing, or the authorizer threw `Unauthorized`. */
  | { readonly kind: 'unauthorized'; readonly invoked: boolean }
  /** 403: a denial; `context` is the answer's (REST gateway responses may read it). */
  | { readonly kind: 'forbidden'; readonly context: Readonly<Record<string, unknown>> }
  /** 500: the authorizer failed, timed out or answered in a form API Gateway cannot use. */
  | { readonly kind: 'error'; readonly reason: string };

const UNAUTHORIZED = 'Unauthorized';

/**
 * The authorization step of API Gateway for a request already matched to a route: identity-source
 * check, result cache, authorizer invocation with its timeout, answer validation, and the policy
 * or simple-response verdict for this request.
 */
export class GatewayAuthorization {
  /** Authorizer invocations so far (a cache hit or a missing identity source invokes nothing). */
  invocations = 0;
  private readonly options: GatewayAuthorizationOptions;
  private readonly cache: AuthorizerResultCache<ValidAnswer>;
  private readonly simpleResponses: boolean;

  constructor(options: GatewayAuthorizationOptions) {
    this.options = options;
    this.simpleResponses = options.format === 'http' && (options.simpleResponses ?? true);
    this.cache = new AuthorizerResultCache({
      ttlSeconds: options.resultsTtlSeconds,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  async authorize(request: GatewayRequest): Promise<AuthorizationOutcome> {
    const { format } = this.options;
    const values = identitySourceValues(format, this.options.identitySources, request);
    // "If a specified identity source is missing, null, or empty, API Gateway returns a 401
    // Unauthorized HTTP response without calling the Lambda authorizer function."
    if (missesIdentitySource(format, values)) return { kind: 'unauthorized', invoked: false };
    const key = values as string[];
    let answer = this.cache.get(key);
    if (answer === undefined) {
      const event =
        format === 'rest'
          ? restRequestAuthorizerEvent(request, this.options.methodArnPath)
          : httpApiAuthorizerEvent(request, key);
      let raw: unknown;
      try {
        this.invocations++;
        raw = await this.invoke(event);
      } catch (error) {
        // Only the exact message "Unauthorized" is a 401; anything else, a timeout included, is a 500.
        if (error instanceof Error && error.message === UNAUTHORIZED) return { kind: 'unauthorized', invoked: true };
        return { kind: 'error', reason: error instanceof Error ? error.name : 'thrown' };
      }
      const valid = validateAuthorizerAnswer(format, this.simpleResponses, raw);
      if (valid.kind === 'invalid') return { kind: 'error', reason: valid.reason };
      answer = valid;
      this.cache.set(key, answer);
    }
    return this.verdict(answer, request);
  }

  /** `FlushStageAuthorizersCache` (REST) / `ResetAuthorizersCache` (HTTP API). */
  flush(): void {
    this.cache.flush();
  }

  /** The ARN API Gateway evaluates a policy against for `request`. */
  resourceArnOf(request: GatewayRequest): string {
    return this.options.format === 'http' ? routeArnOf(request) : methodArnOf(request, this.options.methodArnPath);
  }

  private verdict(answer: ValidAnswer, request: GatewayRequest): AuthorizationOutcome {
    if (answer.kind === 'simple') {
      return answer.isAuthorized ? { kind: 'allow', context: answer.context } : { kind: 'forbidden', context: {} };
    }
    // A cached policy is evaluated against each later request's ARN (AWS Knowledge Center:
    // "The cached IAM policy is then applied to any additional API requests made within the cache's TTL").
    const verdict = evaluateInvokePolicy(answer.policy, this.resourceArnOf(request));
    return verdict === 'allow'
      ? { kind: 'allow', context: answer.context }
      : { kind: 'forbidden', context: answer.context };
  }

  private invoke(event: unknown): Promise<unknown> {
    const timeoutMs = this.options.authorizerTimeoutMs ?? AUTHORIZER_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new AuthorizerTimeoutError()), timeoutMs);
      this.options.authorizer(event).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

class AuthorizerTimeoutError extends Error {
  override readonly name = 'AuthorizerTimeoutError';
}
