import process from 'node:process';
import { LogCapture } from './log-capture.ts';
import { type Endpoints, RealParts, TABLE } from './real-parts.ts';
import {
  lambdaRuntimeEnvironment,
  type SecretsExtensionEmulator,
  type SecretsExtensionEmulatorOptions,
  startSecretsExtensionEmulator,
} from './secrets-extension-emulator.ts';

/** The authorizer's Lambda entry as API Gateway invokes it. */
export type LambdaHandler = (event: unknown) => Promise<unknown>;

/** The secret the handler's introspection client secret lives in (read through the extension). */
export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:introspection-AbCdEf';
const SESSION_TOKEN = 'handler-test-session';

/** Handler instances loaded in this process: each needs a URL no module was loaded under before. */
let instancesLoaded = 0;

/** The route rules every handler runs with unless a scenario says otherwise. */
export const HANDLER_ROUTE_SCOPES = [
  { method: 'GET', path: '/orders', scopes: ['orders:read'] },
  { method: 'POST', path: '/orders', scopes: ['orders:write'] },
] as const;

/** How {@link LambdaHandlerHarness.load} starts a handler instance. */
export interface HandlerLoadOptions {
  /** The secrets extension it reads its secret from. @default the harness's own, holding the secret */
  readonly extensionPort?: number;
  /** Where it reaches DynamoDB and the authorization server. @default through the counting proxies */
  readonly endpoints?: 'proxied' | 'direct';
}

/**
 * What a handler scenario runs against, on Node (vitest) and on Deno alike: dynalite and
 * oidc-provider on free 127.0.0.1 ports behind counting proxies ({@link RealParts}), the secrets
 * extension emulator holding the introspection client secret, and fresh instances of
 * lambda/authorizer/handler.ts started the way Lambda starts one: the environment set, then the
 * module evaluated to the end of its top-level await (its init).
 *
 * A new instance is the module imported under a new URL (`?instance=N`): both runtimes evaluate it
 * anew and keep its imports, which hold no state (its state is its own module scope). Every process
 * variable a load sets is put back by the next load and by {@link stop}, so a load sees only the
 * process's own environment and what it was given.
 */
export class LambdaHandlerHarness {
  readonly parts: RealParts;
  readonly logs: LogCapture;
  /** The secrets extension of every handler unless a load names another port. */
  readonly extension: SecretsExtensionEmulator;
  private readonly savedEnvironment = new Map<string, string | undefined>();
  private readonly cleanups: (() => Promise<void>)[] = [];
  private readonly loaded = new Map<string, Promise<LambdaHandler>>();

  private constructor(parts: RealParts, logs: LogCapture, extension: SecretsExtensionEmulator) {
    this.parts = parts;
    this.logs = logs;
    this.extension = extension;
  }

  /** Starts the parts; logs are scanned for token material and kept off the test output. */
  static async start(): Promise<LambdaHandlerHarness> {
    const logs = new LogCapture();
    logs.install({ quiet: true });
    const parts = await RealParts.start(logs);
    const extension = await startSecretsExtensionEmulator(
      { [SECRET_ARN]: parts.as.clients.introspector.clientSecret },
      SESSION_TOKEN,
    );
    return new LambdaHandlerHarness(parts, logs, extension);
  }

  /** The environment Lambda would give the handler against these parts (its runtime's and its settings). */
  environment(overrides: Record<string, string> = {}, options: HandlerLoadOptions = {}): Record<string, string> {
    const endpoints: Endpoints = options.endpoints === 'direct' ? this.parts.direct : this.parts.proxied;
    return {
      ...lambdaRuntimeEnvironment({ port: options.extensionPort ?? this.extension.port }, SESSION_TOKEN),
      ISSUER: this.parts.as.issuer,
      JWKS_URI: `${endpoints.authorizationServer}/jwks`,
      AUDIENCE: this.parts.as.audience,
      REQUIRED_TOKEN_TYPE: 'at+jwt',
      TOKEN_TABLE_NAME: TABLE,
      TOKEN_TABLE_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: endpoints.dynamoDb,
      DYNAMODB_TIMEOUT_MS: '1500',
      INTROSPECTION_ENDPOINT: `${endpoints.authorizationServer}/token/introspection`,
      INTROSPECTION_CLIENT_ID: this.parts.as.clients.introspector.clientId,
      INTROSPECTION_CLIENT_SECRET_ARN: SECRET_ARN,
      INTROSPECTION_TIMEOUT_MS: '1500',
      // Every fixture event comes from one address: the per-source budget must not be what answers.
      INTROSPECTION_SOURCE_RATE_PER_SECOND: '1000',
      INTROSPECTION_SOURCE_BURST: '1000',
      ROUTE_SCOPES: JSON.stringify(HANDLER_ROUTE_SCOPES),
      JWKS_TIMEOUT_MS: '1500',
      // Every line is built and scanned for token material (allows are logged at debug only).
      LOG_LEVEL: 'debug',
      ...overrides,
    };
  }

  /**
   * A new handler instance with {@link environment}: resolves once its init is over, as Lambda
   * sends the first event only then.
   */
  async load(overrides: Record<string, string> = {}, options: HandlerLoadOptions = {}): Promise<LambdaHandler> {
    this.restoreEnvironment();
    for (const [name, value] of Object.entries(this.environment(overrides, options))) {
      this.savedEnvironment.set(name, process.env[name]);
      process.env[name] = value;
    }
    instancesLoaded++;
    const url = new URL(`../../lambda/authorizer/handler.ts?instance=${instancesLoaded}`, import.meta.url);
    const module = (await import(url.href)) as { handler: LambdaHandler };
    return module.handler;
  }

  /**
   * One instance per distinct settings for the whole run, like a warm Lambda serving many events
   * (its caches may answer: scenarios use fresh tokens).
   */
  shared(overrides: Record<string, string> = {}): Promise<LambdaHandler> {
    const key = JSON.stringify(Object.entries(overrides).sort());
    let handler = this.loaded.get(key);
    if (handler === undefined) {
      handler = this.load(overrides);
      this.loaded.set(key, handler);
    }
    return handler;
  }

  /** Runs `cleanup` after the current scenario ({@link afterScenario}). */
  defer(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** Starts a secrets extension emulator that stops after the current scenario. */
  async startExtension(
    secrets: Record<string, string>,
    options: SecretsExtensionEmulatorOptions = {},
  ): Promise<SecretsExtensionEmulator> {
    const emulator = await startSecretsExtensionEmulator(secrets, SESSION_TOKEN, options);
    this.defer(() => emulator.stop());
    return emulator;
  }

  /** Between scenarios: runs the deferred cleanups and forgets what the proxies counted. */
  async afterScenario(): Promise<void> {
    await Promise.all(this.cleanups.splice(0).map((cleanup) => cleanup()));
    this.parts.asProxy.reset();
    this.parts.dynamoProxy.reset();
  }

  async stop(): Promise<void> {
    try {
      await this.afterScenario();
      await Promise.all([this.parts.stop(), this.extension.stop()]);
    } finally {
      this.restoreEnvironment();
      this.logs.uninstall();
    }
  }

  private restoreEnvironment(): void {
    for (const [name, value] of this.savedEnvironment) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.savedEnvironment.clear();
  }
}
