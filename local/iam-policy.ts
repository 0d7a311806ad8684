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
 * Evaluates an authorizer's policy for a method ARN as API Gateway does: an explicit Deny that
 * matches wins, else a matching Allow allows, else it is an implicit deny. `*` in a resource matches
 * any run of characters (slashes included) and `?` one character; actions must cover
 * `execute-api:Invoke`.
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
