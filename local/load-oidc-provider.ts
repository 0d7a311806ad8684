type OidcProviderModule = typeof import('oidc-provider');

const UNSUPPORTED_RUNTIME_WARNING = 'oidc-provider WARNING: Unsupported runtime';

let loading: Promise<OidcProviderModule> | undefined;

/**
 * Imports oidc-provider once, without its import-time warning that Node 20 is not an LTS it
 * supports (it works on Node 20). Any other warning passes through to stderr.
 */
export function loadOidcProvider(): Promise<OidcProviderModule> {
  loading ??= importWithoutRuntimeWarning();
  return loading;
}

async function importWithoutRuntimeWarning(): Promise<OidcProviderModule> {
  const warn = console.warn;
  console.warn = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && args[0].startsWith(UNSUPPORTED_RUNTIME_WARNING)) return;
    warn.apply(console, args);
  };
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = warn;
  }
}
