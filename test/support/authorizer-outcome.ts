import { UNAUTHORIZED_MESSAGE, UnauthorizedError } from '../../lambda/adapters/api-gateway/authorizer-answer.ts';
import type { Authorizer } from '../../lambda/authorizer/authorizer.ts';
import { evaluateInvokePolicy, type InvokePolicy } from '../../local/api-gateway/iam-policy.ts';
import { type EventFormat, eventFor, resourceArnFor } from './api-gateway-events.ts';

type Json = Record<string, unknown>;

/** How API Gateway would end a call after the authorizer answered. */
export type Outcome =
  /** The route opens; `context` is what the backend receives. */
  | { readonly kind: 'allow'; readonly context: Readonly<Record<string, string>>; readonly answer: Json }
  /** 403: a well-formed answer that does not open the route. */
  | { readonly kind: 'forbidden'; readonly answer: Json }
  /** 401: the `Unauthorized` error. */
  | { readonly kind: 'unauthorized' }
  /** 500: any other exception. */
  | { readonly kind: 'error'; readonly error: unknown }
  /** An answer API Gateway could not read; always a test failure. */
  | { readonly kind: 'malformed'; readonly answer: unknown; readonly problem: string };

export type OutcomeKind = Outcome['kind'];

interface Statement {
  readonly Action: unknown;
  readonly Effect: unknown;
  readonly Resource: unknown;
}

/**
 * Invokes the authorizer and classifies its answer the way API Gateway would for the request's
 * resource ARN: `Unauthorized` is 401, any other exception 500, a policy is evaluated (an explicit
 * Deny wins, else an Allow must match), a simple response is read from `isAuthorized`. Every
 * answer is also checked for shape: a malformed answer is reported, never guessed.
 */
export async function outcomeOf(
  authorizer: Authorizer | ((event: unknown) => Promise<unknown>),
  event: unknown,
  format: EventFormat,
  resourceArn: string,
): Promise<Outcome> {
  let answer: unknown;
  try {
    answer = await authorizer(event);
  } catch (error) {
    if (error instanceof UnauthorizedError && error.message === UNAUTHORIZED_MESSAGE) return { kind: 'unauthorized' };
    if (error instanceof Error && error.message === UNAUTHORIZED_MESSAGE) return { kind: 'unauthorized' };
    return { kind: 'error', error };
  }
  return classifyAnswer(answer, format, resourceArn);
}

export function classifyAnswer(answer: unknown, format: EventFormat, resourceArn: string): Outcome {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    return { kind: 'malformed', answer, problem: 'not an object' };
  }
  const json = answer as Json;
  const context = json.context;
  if (context !== undefined && !isStringRecord(context)) {
    return { kind: 'malformed', answer, problem: 'context values must all be strings' };
  }
  if (format === 'http-simple') {
    if (typeof json.isAuthorized !== 'boolean') return { kind: 'malformed', answer, problem: 'isAuthorized' };
    if (!json.isAuthorized) {
      return context === undefined
        ? { kind: 'forbidden', answer: json }
        : { kind: 'malformed', answer, problem: 'context on a denial' };
    }
    if (context === undefined) return { kind: 'malformed', answer, problem: 'allow without context' };
    return { kind: 'allow', context, answer: json };
  }
  const problem = policyProblem(json);
  if (problem !== undefined) return { kind: 'malformed', answer, problem };
  // A policy is cached across routes, so a denial for a verified token carries its context too.
  if (!policyAllows(json.policyDocument, resourceArn)) return { kind: 'forbidden', answer: json };
  if (context === undefined) return { kind: 'malformed', answer, problem: 'allow without context' };
  return { kind: 'allow', context, answer: json };
}

/**
 * For events whose format was tampered with: the answer's own shape says which form it is (a
 * simple response, or a policy evaluated against `resourceArn`, the ARN the event names).
 */
export function classifyAnyAnswer(answer: unknown, resourceArn: string): Outcome {
  const simple = typeof answer === 'object' && answer !== null && 'isAuthorized' in answer;
  return classifyAnswer(answer, simple ? 'http-simple' : 'rest-request', resourceArn);
}

/** Whether an IAM policy document lets `execute-api:Invoke` on `arn`, as the local gateway evaluates it. */
export function policyAllows(policyDocument: unknown, arn: string): boolean {
  return evaluateInvokePolicy(policyDocument as InvokePolicy, arn) === 'allow';
}

function policyProblem(answer: Json): string | undefined {
  if (typeof answer.principalId !== 'string' || answer.principalId.length === 0) return 'principalId';
  const document = answer.policyDocument as Json | undefined;
  if (typeof document !== 'object' || document === null) return 'policyDocument';
  if (document.Version !== '2012-10-17') return 'policy Version';
  const statements = document.Statement;
  if (!Array.isArray(statements) || statements.length === 0) return 'policy Statement';
  for (const statement of statements as Statement[]) {
    if (statement.Action !== 'execute-api:Invoke') return 'statement Action';
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return 'statement Effect';
    const resources = statement.Resource;
    if (!Array.isArray(resources) || resources.length === 0 || !resources.every((r) => typeof r === 'string')) {
      return 'statement Resource';
    }
  }
  return undefined;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((entry) => typeof entry === 'string');
}

/** A short description of an outcome for assertion messages; never includes token material. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'error':
      return `error (${outcome.error instanceof Error ? outcome.error.message : typeof outcome.error})`;
    case 'malformed':
      return `malformed (${outcome.problem})`;
    default:
      return outcome.kind;
  }
}

/** How API Gateway would end a call presenting `token` as a bearer on `route` in `format`. */
export async function outcomeOfToken(
  authorizer: Authorizer,
  format: EventFormat,
  token: string,
  route: { method: string; path: string } = { method: 'GET', path: '/orders' },
): Promise<OutcomeKind> {
  return (
    await outcomeOf(authorizer, eventFor(format, `Bearer ${token}`, route), format, resourceArnFor(format, route))
  ).kind;
}
