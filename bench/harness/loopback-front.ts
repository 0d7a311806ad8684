import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { LOOPBACK_HOST } from '../../local/loopback-http.ts';
import { type SelfSignedCertificate, selfSignedCertificate } from '../../test/support/self-signed-certificate.ts';

/** A counting front door on 127.0.0.1 for one local server. */
export interface LoopbackFront {
  /** `https://127.0.0.1:PORT` (TLS) or `http://127.0.0.1:PORT`, no trailing slash. */
  readonly endpoint: string;
  readonly port: number;
  /** Connections clients opened to the front since the last {@link reset}. */
  connections(): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A TCP front for a server on 127.0.0.1 that counts the connections clients open, and, given a
 * certificate, terminates TLS first: what a client pays on Lambda to reach the authorization server
 * and DynamoDB (TLS, and a new connection when it has none to reuse), paid here on loopback. Bytes
 * pass through untouched; every candidate of the bench goes through the same front.
 */
export async function startLoopbackFront(
  targetPort: number,
  certificate?: SelfSignedCertificate,
): Promise<LoopbackFront> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const relay = (client: Socket): void => {
    connections++;
    const upstream = connect(targetPort, LOOPBACK_HOST);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  };
  const server: Server = certificate
    ? createTlsServer({ key: certificate.key, cert: certificate.cert }, relay)
    : createTcpServer(relay);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('not bound to a TCP port'));
      else resolve(address.port);
    });
  });
  return {
    endpoint: `${certificate ? 'https' : 'http'}://${LOOPBACK_HOST}:${port}`,
    port,
    connections: () => connections,
    reset: () => {
      connections = 0;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const TLS_DIR = fileURLToPath(new URL('../results/tls/', import.meta.url));
/** Trusted by every process of the bench through NODE_EXTRA_CA_CERTS, as Lambda trusts its CA bundle. */
export const BENCH_CA_FILE = `${TLS_DIR}cert.pem`;
const KEY_FILE = `${TLS_DIR}key.pem`;

/**
 * The bench's loopback certificate. Node reads `NODE_EXTRA_CA_CERTS` only when a process starts,
 * so the first call makes the certificate and runs the bench again in a child process that trusts
 * it (every client, fetch and node:https alike, then trusts it the ordinary way: no client is
 * configured differently for the bench); it resolves with the certificate only in that child.
 */
export async function benchCertificate(): Promise<SelfSignedCertificate> {
  if (process.env.NODE_EXTRA_CA_CERTS === BENCH_CA_FILE) {
    return { key: await readFile(KEY_FILE, 'utf8'), cert: await readFile(BENCH_CA_FILE, 'utf8') };
  }
  const certificate = selfSignedCertificate();
  await mkdir(TLS_DIR, { recursive: true });
  await writeFile(KEY_FILE, certificate.key, { mode: 0o600 });
  await writeFile(BENCH_CA_FILE, certificate.cert);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: BENCH_CA_FILE },
  });
  const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? 1)));
  process.exit(code);
}
