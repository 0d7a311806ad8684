/**
 * Minimal typings for oidc-provider 9 (the package ships none); only the surface the local
 * authorization server uses. The configuration stays loosely typed on purpose.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** Provider configuration, see oidc-provider's docs/README.md. */
  type Configuration = Record<string, unknown>;

  /** The registered client as oidc-provider hands it to policy callbacks. */
  interface ProviderClient {
    readonly clientId: string;
    readonly clientAuthMethod: string;
  }

  /** A token model as oidc-provider hands it to policy callbacks. */
  interface ProviderToken {
    readonly kind: string;
    readonly clientId?: string;
    readonly jti: string;
  }

  /** A grant: what an end-user allowed a client (CIBA approvals are recorded as one). */
  interface ProviderGrant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Grant: new (properties: {
      accountId: string;
      clientId: string;
    }) => ProviderGrant;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
    /** Completes a CIBA request with the end-user's grant. */
    backchannelResult(request: unknown, result: ProviderGrant): Promise<void>;
  }

  const errors: {
    readonly InvalidTarget: new (description?: string) => Error;
  };

  export type { Configuration, ProviderClient, ProviderToken };
  export { errors, Provider };
  export default Provider;
}
