/** The parts of an IAM policy document that API Gateway evaluates for `execute-api:Invoke`. */
export interface InvokePolicy {
  readonly Statement: readonly {
    readonly Action?: string | readonly string[];
    readonly Effect: string;
    readonly Resource: string | readonly string[];
  }[];
}

/** What a policy says about one resource ARN. */
export type PolicyVerdict = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * Evaluates an authorizer's policy for a method ARN (REST) or route ARN (HTTP API) as IAM does: an
 * explicit Deny that matches wins, else a matching Allow allows, else it is an implicit deny.
 * In a resource, `*` is "any combination of characters" and `?` "any single character", and `*`
 * "can expand to replace everything in a segment, including characters such as the forward slash"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html);
 * AWS's own example `arn:aws:execute-api:us-east-1:*:api-id/*` spans stage, verb and path
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html).
 * Actions must cover `execute-api:Invoke`. Conditions, `NotResource` and `NotAction` are not
 * imitated (the authorizer never sends them; AWS does not document their support here).
 */
export function evaluateInvokePolicy(policy: InvokePolicy, resourceArn: string): PolicyVerdict {
  let allowed = false;
  for (const statement of policy.Statement) {
    if (!coversInvoke(statement.Action)) continue;
    const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;
    if (!resources.some((pattern) => wildcardMatches(pattern, resourceArn))) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

function coversInvoke(action: string | readonly string[] | undefined): boolean {
  if (action === undefined) return false;
  const actions = typeof action === 'string' ? [action] : action;
  return actions.some((value) => wildcardMatches(value.toLowerCase(), 'execute-api:invoke'));
}

/** IAM wildcard match over the whole value. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
}
