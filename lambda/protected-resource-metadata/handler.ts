import { isJsonObject } from '../core/json-object.ts';

/**
 * The HTTP API's public metadata route (RFC 9728): HTTP APIs have no mock integration, so this
 * function answers the document. Everything but `resource` is fixed at deploy
 * (`PROTECTED_RESOURCE_METADATA`, built by lib/protected-resource-metadata.ts); `resource` is the
 * URL the client used, from the event (`requestContext.domainName`, and a named stage), so it holds
 * on the execute-api domain and on a custom domain alike. No token, no I/O.
 */
const document: Record<string, unknown> = parseDocument(process.env.PROTECTED_RESOURCE_METADATA);

export async function handler(event: unknown): Promise<{
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}> {
  const context = (event as { requestContext?: { domainName?: unknown; stage?: unknown } } | null)?.requestContext;
  const domain = typeof context?.domainName === 'string' ? context.domainName : '';
  const stage = typeof context?.stage === 'string' && context.stage !== '$default' ? `/${context.stage}` : '';
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
    body: JSON.stringify({ resource: `https://${domain}${stage}`, ...document }),
  };
}

function parseDocument(value: string | undefined): Record<string, unknown> {
  const parsed: unknown = JSON.parse(value ?? '{}');
  if (!isJsonObject(parsed)) throw new Error('PROTECTED_RESOURCE_METADATA must be a JSON object');
  const { resource: _resource, ...rest } = parsed;
  return rest;
}
