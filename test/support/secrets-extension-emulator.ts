import { createServer, type Server } from 'node:http';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb-client.ts';
import { closeServer, listenOnLoopback } from '../../local/loopback-http.ts';

/**
 * Stands in for the AWS Parameters and Secrets Lambda Extension (an AWS-run process beside the
 * function, which cannot run here): the same HTTP contract on 127.0.0.1, checking the session-token
 * header as the extension does.
 */
export async function startSecretsExtensionEmulator(
  secrets: Record<string, string>,
  sessionToken: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
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
  const port = await listenOnLoopback(server, 0);
  return { port, stop: () => closeServer(server) };
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
