import type { RouteScopeRule } from '../lambda/core/route-scopes.ts';

/**
 * Where an API serves its OAuth 2.0 Protected Resource Metadata (RFC 9728 section 3), relative to
 * its invoke URL: a public route of the route definition (`lib/example-api.ts`), answered without
 * a token by its own integration.
 */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** What the metadata document says. */
export interface ProtectedResourceMetadataOptions {
  /** The resource identifier: the API's invoke URL (no trailing slash). */
  readonly resource: string;
  /** The issuer(s) whose tokens the API accepts. */
  readonly authorizationServers: readonly string[];
  /** The route rules; their scopes (and the default scopes) are the scopes the API knows. */
  readonly routeScopes: readonly RouteScopeRule[];
  readonly defaultScopes?: readonly string[];
  /** The DPoP proof algorithms accepted, when DPoP is. @default DPoP not offered */
  readonly dpopAlgorithms?: readonly string[];
  /** Whether only DPoP-bound tokens are accepted. @default false */
  readonly dpopBoundAccessTokensRequired?: boolean;
  /** Whether certificate-bound tokens (RFC 8705) can be presented (a mutual TLS domain). @default false */
  readonly certificateBoundAccessTokens?: boolean;
}

/**
 * The RFC 9728 section 2 document: `resource`, `authorization_servers`, `scopes_supported` (from
 * the route rules), `bearer_methods_supported` (the header only: RFC 6750's form and query
 * methods are not read), and, where configured, `dpop_signing_alg_values_supported`,
 * `dpop_bound_access_tokens_required` and `tls_client_certificate_bound_access_tokens`.
 */
export function protectedResourceMetadata(options: ProtectedResourceMetadataOptions): Record<string, unknown> {
  const scopes = [
    ...new Set([...options.routeScopes.flatMap((rule) => rule.scopes), ...(options.defaultScopes ?? [])]),
  ];
  const dpop = options.dpopAlgorithms;
  return {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    scopes_supported: scopes,
    bearer_methods_supported: ['header'],
    ...(dpop === undefined || dpop.length === 0
      ? {}
      : {
          dpop_signing_alg_values_supported: [...dpop],
          dpop_bound_access_tokens_required: options.dpopBoundAccessTokensRequired ?? false,
        }),
    ...(options.certificateBoundAccessTokens ? { tls_client_certificate_bound_access_tokens: true } : {}),
  };
}
