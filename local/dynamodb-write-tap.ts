import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { DecisionLog } from '../lambda/core/ports.ts';
import { closeServer, LOOPBACK_HOST, listenOnLoopback } from './loopback-http.ts';
import { readBodyBytes } from './node-http.ts';

/** A write the table accepted, as DynamoDB's JSON wire protocol carried it. */
export interface TableWrite {
  readonly kind: 'put' | 'delete';
  readonly tableName: string;
  /** `PutItem`'s `Item` or `DeleteItem`'s `Key`: attribute values in wire form (`{"S":…}`, `{"B":<base64>}`). */
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** Options for {@link startDynamoDbWriteTap}. */
export interface DynamoDbWriteTapOptions {
  /** `http://127.0.0.1:PORT` of the table's own endpoint (dynalite). */
  readonly upstream: string;
  /**
   * Called once per write the table accepted (a 200 answer), before the writer gets that answer, in
   * the order the table answered: a writer that waits for its answer before its next write (as the
   * token endpoint proxy does: issue, then revoke) sees its writes reported in its own order.
   */
  readonly onWrite: (write: TableWrite) => void;
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** Largest request read (DynamoDB's own request limit is 16 MB). @default 16777216 */
  readonly maxBodyBytes?: number;
  /** Token-free log of refused operations. @default none */
  readonly log?: DecisionLog;
}

/** A running tap. */
export interface DynamoDbWriteTap {
  /** `http://127.0.0.1:PORT`: give it to every writer of the table in place of the table's own endpoint. */
  readonly endpoint: string;
  readonly port: number;
  /** Closes the listener and every connection. Safe to call twice. */
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';

/**
 * Item writes whose effect the request alone does not tell (an update expression, a batch whose
 * unprocessed part is in the answer, a transaction, PartiQL). They are refused before they reach
 * the table, so that no write lands at home that the replicas would never see.
 */
const UNREPLICATED_OPERATIONS: ReadonlySet<string> = new Set([
  'UpdateItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);

/** RFC 9110 section 7.6.1, and the headers this tap sets itself. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/**
 * The home table's change feed, for the local stack's replication: an HTTP proxy in front of the
 * home table's DynamoDB endpoint that passes every request through unchanged and reports each
 * `PutItem` and `DeleteItem` the table accepted. It stands where DynamoDB Streams stand on AWS (global
 * tables replicate from the table's own change log): at the table, not in one writer, so every
 * writer that is given this endpoint is seen, the token endpoint proxy, an authorization server that
 * writes token halves itself (Curity's publisher calls `PutItem`), and tests that tamper with records.
 * Writes that cannot be replicated from the request alone are refused with `ValidationException`.
 * When the table is down, the writer's connection is dropped as the table's would be.
 */
export async function startDynamoDbWriteTap(options: DynamoDbWriteTapOptions): Promise<DynamoDbWriteTap> {
  const upstream = new URL(options.upstream);
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;

  const server = createServer((incoming, outgoing) => {
    pass(incoming, outgoing).catch(() => {
      // The table is unreachable, or the writer went away: drop the connection, as a table that is
      // down would, rather than invent an answer DynamoDB never gives.
      outgoing.destroy();
    });
  });

  async function pass(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const body = await readBodyBytes(incoming, maxBodyBytes);
    const target = String(incoming.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (UNREPLICATED_OPERATIONS.has(operation)) {
      options.log?.warn('write refused: not replicated by the local replicator', { operation });
      const refusal = JSON.stringify({
        __type: 'com.amazon.coral.validate#ValidationException',
        message: `${operation} is not replicated by the local stack's replicator; use PutItem and DeleteItem`,
      });
      outgoing.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(Buffer.byteLength(refusal)),
      });
      outgoing.end(refusal);
      return;
    }
    const answer = await forward(upstream, incoming.method ?? 'POST', incoming.url ?? '/', incoming.headers, body);
    if (answer.status === 200 && (operation === 'PutItem' || operation === 'DeleteItem')) {
      const write = writeOf(operation, body);
      if (write !== undefined) options.onWrite(write);
    }
    outgoing.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
    outgoing.end(answer.body);
  }

  const port = await listenOnLoopback(server, options.port ?? 0);
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    port,
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

/** What the table accepted, from the request it accepted; undefined for a body that does not say. */
function writeOf(operation: 'PutItem' | 'DeleteItem', body: Buffer): TableWrite | undefined {
  let request: { TableName?: unknown; Item?: unknown; Key?: unknown };
  try {
    request = JSON.parse(body.toString('utf8')) as typeof request;
  } catch {
    return undefined;
  }
  const attributes = operation === 'PutItem' ? request.Item : request.Key;
  if (typeof request.TableName !== 'string' || !isRecord(attributes)) return undefined;
  return { kind: operation === 'PutItem' ? 'put' : 'delete', tableName: request.TableName, attributes };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

function forward(
  upstream: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<UpstreamAnswer> {
  const passed: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) passed[name] = value;
  }
  passed['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path, headers: passed },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const answerHeaders: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) answerHeaders[name] = value;
          }
          resolve({ status: response.statusCode ?? 502, headers: answerHeaders, body: Buffer.concat(chunks) });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
