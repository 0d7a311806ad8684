import { createServer, type Server } from 'node:http';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-client.ts';
import { closeServer, listenOnLoopback } from '../../local/loopback-http.ts';

/** How the emulated extension misbehaves, as the real one may early in a Lambda init. */
export interface SecretsExtensionEmulatorOptions {
  /** Port to listen on (one a test reserved, to start the extension late on it). @default a free one */
  readonly port?: number;
  /** Connections reset as they arrive, before the extension answers anything. @default 0 */
  readonly resetFirstConnections?: number;
  /** Awaited before each answer is written (to hold answers back). @default none */
  readonly beforeAnswer?: () => Promise<void>;
}

/** A running emulated extension. */
export interface SecretsExtensionEmulator {
  readonly port: number;
  /** Requests that reached the HTTP server (reset connections are not requests). */
  readonly requests: number;
  /** Connections accepted, reset ones included. */
  readonly connections: number;
  stop(): Promise<void>;
}

/**
 * Stands in for the AWS Parameters and Secrets Lambda Extension (an AWS-run process beside the
 * function, which cannot run here): the same HTTP contract on 127.0.0.1, checking the session-token
 * header as the extension does. `secrets` is read on every request, so a test may add one later.
 */
export async function startSecretsExtensionEmulator(
  secrets: Record<string, string>,
  sessionToken: string,
  options: SecretsExtensionEmulatorOptions = {},
): Promise<SecretsExtensionEmulator> {
  let requests = 0;
  let connections = 0;
  let resetsLeft = options.resetFirstConnections ?? 0;
  const server: Server = createServer(async (request, response) => {
    requests++;
    await options.beforeAnswer?.();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const secret = secrets[url.searchParams.get('secretId') ?? ''];
    if (request.headers['x-aws-parameters-secrets-token'] !== sessionToken) {
      response.writeHead(401).end();
    } else if (url.pathname !== '/secretsmanager/get' || secret === undefined) {
      response.writeHead(400).end();
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ SecretString: secret }));
    }
  });
  server.on('connection', (socket) => {
    connections++;
    if (resetsLeft > 0) {
      resetsLeft--;
      socket.resetAndDestroy();
    }
  });
  const port = await listenOnLoopback(server, options.port ?? 0);
  return {
    port,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    stop: () => closeServer(server),
  };
}

/**
 * What Lambda's runtime puts in a function's environment besides its configuration: region,
 * credentials (fine for dynalite, which checks none) and the extension's session token and port.
 */
export function lambdaRuntimeEnvironment(extension: { port: number }, sessionToken: string): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: sessionToken,
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(extension.port),
  };
}

/** A loopback port nothing listens on now (bound and released), for a server that starts late. */
export async function reserveLoopbackPort(): Promise<number> {
  const probe = createServer();
  const port = await listenOnLoopback(probe, 0);
  await closeServer(probe);
  return port;
}
