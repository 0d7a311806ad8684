import type { GatewayEventFormat } from './authorizer-events.ts';
import type { InvokePolicy } from './iam-policy.ts';

/** Longest `Resource` in an authorizer's policy: "currently limited to 512 characters long". */
export const MAX_RESOURCE_LENGTH = 512;

/** An authorizer answer API Gateway can use. */
export type ValidAnswer =
  | { readonly kind: 'simple'; readonly isAuthorized: boolean; readonly context: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'policy';
      readonly principalId: string;
      readonly policy: InvokePolicy;
      readonly context: Readonly<Record<string, unknown>>;
    };

/**
 * Checks an authorizer's answer as API Gateway does before using it; anything else is a 500
 * ("If your Lambda authorizer returns a response in an invalid format, clients receive a 500
 * Internal Server Error", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 * - A policy answer "must include the principal identifier (principalId) and a policy document"
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html),
 *   every `Resource` at most {@link MAX_RESOURCE_LENGTH} characters (same page).
 * - REST `context` values: "you cannot set a JSON object or array as a valid value of any key";
 *   strings, numbers and booleans (public reports: an object or array gives 500, `null` passes).
 *   HTTP API payload 2.0 context may hold arrays and maps.
 * - HTTP API simple responses: `isAuthorized` a boolean (a string is not documented; refused).
 *
 * @returns the answer, or a reason it is unusable
 */
export function validateAuthorizerAnswer(
  format: GatewayEventFormat,
  simpleResponses: boolean,
  answer: unknown,
): ValidAnswer | { readonly kind: 'invalid'; readonly reason: string } {
  if (!isRecord(answer)) return invalid('the answer is not an object');
  const context = answer.context ?? {};
  if (!isRecord(context)) return invalid('context is not an object');
  if (format === 'rest') {
    for (const [key, value] of Object.entries(context)) {
      if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
        return invalid(`context value ${key} is not a string, number or boolean`);
      }
    }
  }
  if (format === 'http' && simpleResponses) {
    if (typeof answer.isAuthorized !== 'boolean') return invalid('isAuthorized is not a boolean');
    return { kind: 'simple', isAuthorized: answer.isAuthorized, context };
  }
  if (typeof answer.principalId !== 'string') return invalid('principalId is missing');
  const document = answer.policyDocument;
  if (!isRecord(document) || !Array.isArray(document.Statement)) return invalid('policyDocument.Statement is missing');
  for (const statement of document.Statement) {
    if (!isRecord(statement) || (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')) {
      return invalid('a statement has no Effect');
    }
    const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;
    if (!Array.isArray(resources) || !resources.every((resource) => typeof resource === 'string')) {
      return invalid('a statement has no Resource');
    }
    if (resources.some((resource) => (resource as string).length > MAX_RESOURCE_LENGTH)) {
      return invalid(`a Resource is longer than ${MAX_RESOURCE_LENGTH} characters`);
    }
  }
  return { kind: 'policy', principalId: answer.principalId, policy: document as unknown as InvokePolicy, context };
}

function invalid(reason: string): { readonly kind: 'invalid'; readonly reason: string } {
  return { kind: 'invalid', reason };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
