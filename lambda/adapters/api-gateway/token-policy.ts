import type { ResolvedToken } from '../../core/resolved-token.ts';
import type { RouteScopePolicy, RouteScopeRule } from '../../core/route-scopes.ts';
import { stageArnOf } from './authorizer-event.ts';

/** An IAM policy document as API Gateway reads it from an authorizer. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Action: 'execute-api:Invoke';
    readonly Effect: 'Allow' | 'Deny';
    readonly Resource: readonly string[];
  }[];
}

/**
 * The policy for a verified token, the same whichever route asked. API Gateway caches an authorizer's
 * answer by identity source and reuses it on every route of the stage, so the policy must describe
 * the token, not the request: Allow the stage, with an explicit Deny on each configured route whose
 * scopes the token lacks (a Deny wins over an Allow). When the token cannot call unlisted routes,
 * only the routes it may call are allowed. The route at hand is denied explicitly when `denyCurrent`.
 *
 * Path parameters become `*`, which in a resource ARN also matches deeper paths: a Deny may cover
 * more than its route (a 403 where a narrower rule would allow), never less.
 */
export function policyForToken(
  token: ResolvedToken,
  routes: RouteScopePolicy,
  resourceArn: string,
  denyCurrent: boolean,
): PolicyDocument {
  const stageArn = stageArnOf(resourceArn);
  const denied = routes.rulesNotCoveredBy(token.scopes).map((rule) => ruleArn(stageArn, rule));
  if (denyCurrent) denied.push(resourceArn);
  const allowed = routes.coversDefaultRoutes(token.scopes)
    ? [`${stageArn}/*`]
    : routes.rules.filter((rule) => !denied.includes(ruleArn(stageArn, rule))).map((rule) => ruleArn(stageArn, rule));
  const statements: PolicyDocument['Statement'][number][] = [];
  if (allowed.length > 0) statements.push({ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowed });
  if (denied.length > 0) statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: unique(denied) });
  if (statements.length === 0)
    statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [resourceArn] });
  return { Version: '2012-10-17', Statement: statements };
}

function ruleArn(stageArn: string, rule: RouteScopeRule): string {
  const method = rule.method.toUpperCase() === 'ANY' ? '*' : rule.method.toUpperCase();
  const path = rule.path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => (segment.startsWith('{') ? '*' : segment))
    .join('/');
  return `${stageArn}/${method}/${path}`;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
