import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundle, bundleLikeCdk } from '../../../bench/harness/bundle.ts';
import {
  AUTHORIZATION_SERVER_PATHS,
  type AuthorizationServer,
  type ClientCredentials,
  startAuthorizationServer,
} from '../../../local/authorization-server.ts';
import { createLocalDynamoDbClient, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynamodb-client.ts';
import { type DynamoDbServer, startDynamoDbServer } from '../../../local/dynamodb-server.ts';
import { createTokenTable } from '../../../local/token-table.ts';

// The token endpoint proxy as it ships: bundled as its construct bundles it, loaded by a fresh Node
// process that answers payload 2.0 events against oidc-provider and dynalite on 127.0.0.1. What it
// wrote is read back with the AWS SDK, an independent reader.

const ENTRY = fileURLToPath(new URL('../../../lambda/token-endpoint-proxy/handler.ts', import.meta.url));
const RUNNER = fileURLToPath(new URL('../../support/lambda-bundle-runner.mjs', import.meta.url));
const TABLE = 'split-tokens';

interface Answer {
  readonly statusCode: number;
  readonly body: string;
  readonly isBase64Encoded: boolean;
  readonly cookies?: readonly string[];
}

/** A fresh Node process holding one instance of the bundled handler. */
class Instance {
  private constructor(private readonly child: ChildProcess) {}

  static async start(bundle: Bundle, env: Record<string, string>): Promise<Instance> {
    const child = fork(RUNNER, [bundle.outfile], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const instance = new Instance(child);
    await instance.next();
    return instance;
  }

  /** Answers `event`; `undiciLoaded`: whether the process has loaded web fetch's undici by then. */
  async answer(event: unknown): Promise<{ result: Answer; undiciLoaded: boolean }> {
    const reply = this.next();
    this.child.send({ event });
    const { result, undiciLoaded, error } = await reply;
    if (result === undefined) throw new Error(`the handler failed: ${error}`);
    return { result, undiciLoaded: undiciLoaded === true };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.send({});
    });
  }

  private next(): Promise<{ result?: Answer; undiciLoaded?: boolean; error?: string }> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the instance exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (message) => {
        this.child.off('exit', onExit);
        resolve(message as { result?: Answer; undiciLoaded?: boolean; error?: string });
      });
    });
  }
}

function basic({ clientId, clientSecret }: ClientCredentials): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

/** A payload 2.0 event as an HTTP API custom domain or a function URL brings it. */
function event(method: string, path: string, headers: Record<string, string>, body?: string): unknown {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: { domainName: 'login.example.test', http: { method, path, sourceIp: '198.51.100.7' } },
    ...(body === undefined ? {} : { body: Buffer.from(body).toString('base64') }),
    isBase64Encoded: body !== undefined,
  };
}

const FORM = 'application/x-www-form-urlencoded';
const bodyOf = (answer: Answer): string =>
  answer.isBase64Encoded ? Buffer.from(answer.body, 'base64').toString() : answer.body;

describe('the token endpoint proxy as it ships (bundled, a fresh Node process per instance)', () => {
  let as: AuthorizationServer;
  let db: DynamoDbServer;
  let dynamo: ReturnType<typeof createLocalDynamoDbClient>;
  let bundle: Bundle;
  let outdir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'proxy-bundle-'));
    [as, db, bundle] = await Promise.all([
      startAuthorizationServer(),
      startDynamoDbServer(),
      bundleLikeCdk(ENTRY, outdir),
    ]);
    await createTokenTable({ endpoint: db.endpoint, tableName: TABLE });
    dynamo = createLocalDynamoDbClient({ endpoint: db.endpoint, maxAttempts: 1 });
    // What Lambda and the construct set: the region, the function's credentials, the table.
    env = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: 'session-token',
      TOKEN_TABLE_NAME: TABLE,
      DYNAMODB_ENDPOINT: db.endpoint,
      LOG_LEVEL: 'error',
    };
  });

  afterAll(async () => {
    dynamo?.destroy();
    await Promise.all([as?.stop(), db?.stop()]);
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  /** The record under an opaque token, read with the AWS SDK, keyed as DESIGN section 2 says. */
  const recordOf = async (opaque: string) =>
    (
      await dynamo.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { hashed_signature: { S: createHash('sha256').update(opaque).digest('base64') } },
          ConsistentRead: true,
        }),
      )
    ).Item;

  it('issues a split token and revokes it, its record written and deleted, without loading undici', async () => {
    const instance = await Instance.start(bundle, {
      ...env,
      UPSTREAM_TOKEN_ENDPOINT: as.tokenEndpoint,
      UPSTREAM_REVOCATION_ENDPOINT: as.revocationEndpoint,
    });
    try {
      const issued = await instance.answer(
        event(
          'POST',
          '/token',
          { authorization: basic(as.clients.split), 'content-type': FORM },
          'grant_type=client_credentials&scope=orders%3Aread',
        ),
      );
      const opaque = JSON.parse(bodyOf(issued.result)).access_token as string;
      const record = await recordOf(opaque);
      const [header, payload] = String(record?.head_and_body?.S).split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;

      const revoked = await instance.answer(
        event('POST', '/revoke', { authorization: basic(as.clients.split), 'content-type': FORM }, `token=${opaque}`),
      );

      expect(issued.result.statusCode).toBe(200);
      expect(opaque).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ typ: 'at+jwt' });
      expect(claims).toMatchObject({ client_id: as.clients.split.clientId, scope: 'orders:read' });
      expect(record?.expiration).toEqual({ N: String(claims.exp) });
      expect(revoked.result.statusCode).toBe(200);
      expect(await recordOf(opaque)).toBeUndefined();
      expect(revoked.undiciLoaded).toBe(false);
    } finally {
      await instance.stop();
    }
  });

  it('as the front, passes a request through and splits a token request, without loading undici', async () => {
    const instance = await Instance.start(bundle, {
      ...env,
      UPSTREAM_ORIGIN: as.origin,
      TOKEN_PATH: AUTHORIZATION_SERVER_PATHS.token,
      REVOCATION_PATH: AUTHORIZATION_SERVER_PATHS.revocation,
    });
    try {
      const discovery = await instance.answer(
        event('GET', AUTHORIZATION_SERVER_PATHS.discovery, { accept: 'application/json' }),
      );
      const issued = await instance.answer(
        event(
          'POST',
          AUTHORIZATION_SERVER_PATHS.token,
          { authorization: basic(as.clients.split), 'content-type': FORM },
          'grant_type=client_credentials&scope=orders%3Aread',
        ),
      );
      const opaque = JSON.parse(bodyOf(issued.result)).access_token as string;

      expect(discovery.result.statusCode).toBe(200);
      expect(JSON.parse(bodyOf(discovery.result))).toMatchObject({ token_endpoint: expect.any(String) });
      expect(issued.result.statusCode).toBe(200);
      expect(await recordOf(opaque)).toBeDefined();
      expect(issued.undiciLoaded).toBe(false);
    } finally {
      await instance.stop();
    }
  });
});
