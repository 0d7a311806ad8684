import httpApiV2 from '../../test/fixtures/api-gateway/http-api-v2-event.json' with { type: 'json' };
import restRequest from '../../test/fixtures/api-gateway/rest-request-event.json' with { type: 'json' };
import restToken from '../../test/fixtures/api-gateway/rest-token-event.json' with { type: 'json' };

/** The event formats the authorizer answers, named as in the README. */
export const EVENT_FORMATS = ['REST TOKEN', 'REST REQUEST', 'HTTP 2.0'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

const PLACEHOLDER = 'REPLACED-PER-TEST';

/**
 * An API Gateway authorizer event of `format` for `GET /orders` with `Bearer <credential>`, built
 * from the fixtures the adapter tests use (shaped as AWS documents them).
 */
export function authorizerEvent(format: EventFormat, credential: string): unknown {
  const fixture = format === 'REST TOKEN' ? restToken : format === 'REST REQUEST' ? restRequest : httpApiV2;
  return JSON.parse(JSON.stringify(fixture).replaceAll(PLACEHOLDER, credential));
}

/**
 * Whether an answer lets the event's request through: `isAuthorized`, or an Allow statement and no
 * Deny naming the event's method ARN (the policy also denies the routes the token may not call).
 */
export function isAllow(answer: unknown, event: unknown): boolean {
  const record = answer as {
    isAuthorized?: unknown;
    policyDocument?: { Statement?: { Effect?: string; Resource?: string[] }[] };
  } | null;
  if (record?.isAuthorized !== undefined) return record.isAuthorized === true;
  const methodArn = (event as { methodArn?: unknown } | null)?.methodArn;
  const statements = record?.policyDocument?.Statement ?? [];
  return (
    statements.some((statement) => statement.Effect === 'Allow') &&
    !statements.some((statement) => statement.Effect === 'Deny' && statement.Resource?.includes(String(methodArn)))
  );
}
