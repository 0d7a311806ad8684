import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthorizationServer, startAuthorizationServer } from '../../local/authorization-server.ts';
import { requestClientCredentialsToken } from '../../local/client-credentials.ts';
import { type EventFormat, eventFor, resourceArnFor } from '../support/api-gateway-events.ts';
import { type OutcomeKind, outcomeOf } from '../support/authorizer-outcome.ts';
import { requestBackchannelTokens } from '../support/backchannel-client.ts';
import { lambdaRuntimeEnvironment, startSecretsExtensionEmulator } from '../support/secrets-extension-emulator.ts';

type Handler = (event: unknown) => Promise<unknown>;

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:introspection-AbCdEf';
const SESSION_TOKEN = 'test-session';
/** The handler answers HTTP API events with simple responses (its default). */
const FORMATS: readonly EventFormat[] = ['rest-token', 'rest-request', 'http-simple'];
/** A route no rule names: any valid token may call it, so only the token's kind and audience decide. */
const OPEN_ROUTE = { method: 'GET', path: '/hello' };

/**
 * Issue 10, finding 1: an introspection answer counts only for an access token meant for this API.
 * oidc-provider 9 as the authorization server, the Lambda handler loaded from its environment.
 */
describe('introspected token kinds, against oidc-provider through the Lambda handler', () => {
  let as: AuthorizationServer;
  let stopExtension: () => Promise<void>;
  let strict: Handler;
  let relaxed: Handler;

  async function loadHandler(overrides: Record<string, string> = {}): Promise<Handler> {
    const env: Record<string, string> = {
      ISSUER: as.issuer,
      JWKS_URI: as.jwksUri,
      AUDIENCE: as.audience,
      REQUIRED_TOKEN_TYPE: 'at+jwt',
      INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
      INTROSPECTION_CLIENT_ID: as.clients.introspector.clientId,
      INTROSPECTION_CLIENT_SECRET_ARN: SECRET_ARN,
      ROUTE_SCOPES: JSON.stringify([{ method: 'GET', path: '/orders', scopes: ['orders:read'] }]),
      LOG_LEVEL: 'error',
      ...overrides,
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
    const module = await import('../../lambda/authorizer/handler.ts');
    // The first invocation waits for init, which reads this environment: do it before the next load.
    await module.handler({}).catch(() => {});
    return module.handler;
  }

  const outcome = async (handler: Handler, format: EventFormat, token: string): Promise<OutcomeKind> =>
    (
      await outcomeOf(
        handler,
        eventFor(format, `Bearer ${token}`, OPEN_ROUTE),
        format,
        resourceArnFor(format, OPEN_ROUTE),
      )
    ).kind;
  const everyFormat = async (handler: Handler, token: string): Promise<Record<string, OutcomeKind>> => {
    const outcomes: Record<string, OutcomeKind> = {};
    for (const format of FORMATS) outcomes[format] = await outcome(handler, format, token);
    return outcomes;
  };
  const everywhere = (kind: OutcomeKind) => Object.fromEntries(FORMATS.map((format) => [format, kind]));

  beforeAll(async () => {
    as = await startAuthorizationServer();
    const extension = await startSecretsExtensionEmulator(
      { [SECRET_ARN]: as.clients.introspector.clientSecret },
      SESSION_TOKEN,
    );
    stopExtension = extension.stop;
    for (const [name, value] of Object.entries(lambdaRuntimeEnvironment(extension, SESSION_TOKEN))) {
      vi.stubEnv(name, value);
    }
    strict = await loadHandler();
    relaxed = await loadHandler({ INTROSPECTION_REQUIRE_AUDIENCE: 'false' });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([as?.stop(), stopExtension?.()]);
  });

  it('allows a phantom access token issued for the API (the control)', async () => {
    const { access_token: token } = await requestClientCredentialsToken({
      tokenEndpoint: as.tokenEndpoint,
      ...as.clients.phantom,
      scope: 'orders:read',
    });

    expect(await everyFormat(strict, token)).toEqual(everywhere('allow'));
  });

  it('refuses a real refresh token (active, 14 days, no aud, no token_type) as a bearer credential', async () => {
    const { refresh_token: refreshToken } = await requestBackchannelTokens(as);

    expect(await everyFormat(strict, refreshToken)).toEqual(everywhere('unauthorized'));
  });

  it('still refuses the refresh token when the audience requirement is relaxed: token_type is always required', async () => {
    const { refresh_token: refreshToken } = await requestBackchannelTokens(as);

    expect(await everyFormat(relaxed, refreshToken)).toEqual(everywhere('unauthorized'));
  });

  it('refuses a Bearer access token without aud (a userinfo token) unless the audience requirement is relaxed', async () => {
    const { access_token: token } = await requestClientCredentialsToken({
      tokenEndpoint: as.tokenEndpoint,
      ...as.clients.phantom,
      scope: 'openid',
    });

    expect(await everyFormat(strict, token)).toEqual(everywhere('unauthorized'));
    expect(await everyFormat(relaxed, token)).toEqual(everywhere('allow'));
  });
});
