import { parseExecuteApiArn } from './authorizer-event.ts';

/** An IAM policy document as API Gateway reads it from an authorizer. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Action: 'execute-api:Invoke';
    readonly Effect: 'Allow' | 'Deny';
    readonly Resource: readonly string[];
  }[];
}

/** Longest `Resource` value API Gateway accepts in an authorizer's policy. */
export const MAX_POLICY_RESOURCE_LENGTH = 512;

/**
 * The policy for one request: `Allow` or `Deny` on exactly the method ARN (REST) or route ARN
 * (HTTP API) API Gateway asked about, nothing else. API Gateway caches the answer by the
 * authorizer's identity sources and evaluates a cached policy against later requests' ARNs; the
 * constructs make the method and path identity sources, so a cached answer is only ever
 * evaluated for the same request, and if it is evaluated for another ARN it cannot allow it.
 *
 * IAM reads `*` and `?` in a resource as wildcards (`*` also across `/`) and has no escape for
 * them, so an ARN holding either cannot be allowed exactly: such a request is denied (403), as is
 * one whose ARN is longer than {@link MAX_POLICY_RESOURCE_LENGTH}. A denial may be wider than the
 * request (the stage, when the ARN is too long): that can only deny more.
 *
 * @returns the document, and whether it allows the ARN (false when `allow` could not be expressed)
 */
export function policyForRequest(resourceArn: string, allow: boolean): { document: PolicyDocument; allows: boolean } {
  const exact = isExactResource(resourceArn);
  if (allow && exact) return { document: statement('Allow', resourceArn), allows: true };
  return { document: statement('Deny', deniedResource(resourceArn)), allows: false };
}

/** Whether IAM would match `arn` against itself only. */
export function isExactResource(arn: string): boolean {
  return arn.length > 0 && arn.length <= MAX_POLICY_RESOURCE_LENGTH && !/[*?]/.test(arn);
}

/** The ARN itself when it fits; else its whole stage; else everything (a Deny may only be wider). */
function deniedResource(arn: string): string {
  if (arn.length > 0 && arn.length <= MAX_POLICY_RESOURCE_LENGTH) return arn;
  const stage = `${parseExecuteApiArn(arn).stageArn}/*`;
  return stage.length <= MAX_POLICY_RESOURCE_LENGTH ? stage : '*';
}

function statement(effect: 'Allow' | 'Deny', resource: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: [resource] }] };
}
