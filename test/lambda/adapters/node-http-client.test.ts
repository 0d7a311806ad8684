import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeHttpClient } from '../../../lambda/adapters/node-http-client.ts';
import { fetchHttpClient, type HttpClient, isHttpClientError } from '../../../lambda/core/http-client.ts';
import { closeServer, listenOnLoopback } from '../../../local/loopback-http.ts';
import { type RecordingHttpServer, startRecordingHttpServer } from '../../support/recording-http-server.ts';
import { reserveLoopbackPort } from '../../support/secrets-extension-emulator.ts';
import { selfSignedCertificate } from '../../support/self-signed-certificate.ts';

// The HttpClient contract, held by the Lambda transport (NodeHttpClient) and the web transport
// (fetchHttpClient) alike, against real servers on 127.0.0.1; then what only the Lambda transport
// promises: kept-alive connections, and one resend of an idempotent request that met a dead one.
// Bytes both ways and each Set-Cookie apart (requestBytes, for the authorization server's front) are
// read from what a recording server received and sent, not from the client's own account.
// Body limits: test/lambda/core/bounded-body.test.ts runs the same cases on both.

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A node:http server whose answers a test scripts; it counts connections and requests per connection. */
class ScriptedServer {
  connections = 0;
  readonly requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[] = [];
  handler: Handler = (_request, _body, response) => response.end('ok');
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ScriptedServer> {
    let self: ScriptedServer | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        self?.requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
        self?.handler(request, body, response);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', () => {
      if (self) self.connections++;
    });
    const port = await listenOnLoopback(server, 0);
    self = new ScriptedServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  reset(): void {
    this.connections = 0;
    this.requests.length = 0;
    this.handler = (_request, _body, response) => response.end('ok');
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}

const failureOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
    return 'no failure';
  } catch (error) {
    return isHttpClientError(error) ? error.code : `not an HttpClientError: ${String(error)}`;
  }
};

const TRANSPORTS: readonly (readonly [string, () => HttpClient])[] = [
  ['the Lambda transport (NodeHttpClient)', () => new NodeHttpClient()],
  ['the web transport (fetchHttpClient)', () => fetchHttpClient()],
];

describe.each(TRANSPORTS)('%s keeps the HttpClient contract', (_name, transport) => {
  const http = transport();
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await ScriptedServer.start();
  });
  afterEach(() => server.reset());
  afterAll(() => server.stop());

  it('sends the method, headers and body, and returns status, lower-case headers and the body', async () => {
    server.handler = (_request, body, response) => {
      response.setHeader('X-Echo-Length', String(body.length));
      response.setHeader('Vary', ['accept', 'origin']);
      response.writeHead(201, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`got ${body}`);
    };

    const answer = await http.request({
      url: `${server.url}/form?x=1`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/plain' },
      body: 'token=abc&hint=access_token',
      timeoutMs: 5000,
      maxBodyBytes: 1024,
    });

    expect(answer.status).toBe(201);
    expect(answer.body).toBe('got token=abc&hint=access_token');
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['x-echo-length']).toBe('27');
    expect(answer.headers.vary).toBe('accept, origin');
    const seen = server.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.path).toBe('/form?x=1');
    expect(seen?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen?.headers['content-length']).toBe('27');
  });

  it('decodes the body as Response.text() does: a BOM dropped, malformed UTF-8 replaced', async () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9, 0xff, 0x21]);
    server.handler = (_request, _body, response) => response.end(bytes);

    const answer = await http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 1024 });

    expect(answer.body).toBe(await new Response(bytes).text());
  });

  it('fails with timeout when the whole answer does not come within the deadline', async () => {
    server.handler = (_request, _body, response) => {
      response.writeHead(200, { 'content-length': '10' });
      response.write('12345');
    };

    expect(await failureOf(http.request({ url: server.url, timeoutMs: 150, maxBodyBytes: 1024 }))).toBe('timeout');
  });

  it('refuses a redirect by default and returns it untouched with redirect manual, never following it', async () => {
    server.handler = (_request, _body, response) =>
      response.writeHead(302, { location: `${server.url}/elsewhere` }).end('moved');

    const refused = await failureOf(http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 1024 }));
    const manual = await http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 1024, redirect: 'manual' });

    expect(refused).toBe('redirect_refused');
    expect(manual.status).toBe(302);
    expect(manual.headers.location).toBe(`${server.url}/elsewhere`);
    expect(server.requests.map((request) => request.path)).toEqual(['/', '/']);
  });

  it('fails with connection_failed where nothing listens', async () => {
    const port = await reserveLoopbackPort();

    expect(await failureOf(http.request({ url: `http://127.0.0.1:${port}/`, timeoutMs: 5000, maxBodyBytes: 16 }))).toBe(
      'connection_failed',
    );
  });
});

describe.each(TRANSPORTS)('%s passes bytes on (requestBytes)', (_name, transport) => {
  const http = transport();
  let server: RecordingHttpServer;
  beforeAll(async () => {
    server = await startRecordingHttpServer((_request, response) => response.end());
  });
  afterAll(() => server.stop());

  it('sends a byte body and returns the answer’s bytes untouched, each Set-Cookie apart and out of the headers', async () => {
    // Not UTF-8: a BOM, a lone continuation byte, a NUL, 0xff.
    const sent = new Uint8Array([0xef, 0xbb, 0xbf, 0x80, 0x00, 0xff, 0x41]);
    const answered = Buffer.from([0xef, 0xbb, 0xbf, 0xc3, 0x28, 0x00, 0xfe]);
    server.respondWith((_request, response) => {
      response.setHeader('set-cookie', ['a=1; Path=/; HttpOnly', 'b=2, c=3; Path=/auth']);
      response.setHeader('vary', ['accept', 'origin']);
      response.writeHead(201, { 'Content-Type': 'application/octet-stream' }).end(answered);
    });
    const before = server.requests.length;

    const answer = await http.requestBytes({
      url: `${server.origin}/blob?x=1`,
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: sent,
      timeoutMs: 5000,
      maxBodyBytes: 1024,
    });
    const received = server.requests[before];

    expect(received?.method).toBe('PUT');
    expect(received?.url).toBe('/blob?x=1');
    expect(received?.headers['content-length']).toEqual(['7']);
    expect(received?.body.equals(Buffer.from(sent))).toBe(true);
    expect(answer.status).toBe(201);
    expect(Buffer.from(answer.body).equals(answered)).toBe(true);
    expect(answer.setCookies).toEqual(['a=1; Path=/; HttpOnly', 'b=2, c=3; Path=/auth']);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.headers.vary).toBe('accept, origin');
  });

  it('answers an empty body as zero bytes and no cookies', async () => {
    server.respondWith((_request, response) => response.writeHead(204).end());

    const answer = await http.requestBytes({ url: server.origin, timeoutMs: 5000, maxBodyBytes: 16 });

    expect(answer.status).toBe(204);
    expect(answer.body.byteLength).toBe(0);
    expect(answer.setCookies).toEqual([]);
  });

  it('returns a redirect with its cookies under redirect manual and refuses it by default, never following it', async () => {
    server.respondWith((request, response) => {
      if (request.url !== '/') throw new Error('the client followed the redirect');
      response.setHeader('set-cookie', ['_interaction=abc; path=/interaction/x']);
      response.writeHead(303, { location: '/interaction/x' }).end();
    });
    const before = server.requests.length;

    const manual = await http.requestBytes({
      url: server.origin,
      timeoutMs: 5000,
      maxBodyBytes: 16,
      redirect: 'manual',
    });
    const refused = await failureOf(http.requestBytes({ url: server.origin, timeoutMs: 5000, maxBodyBytes: 16 }));

    expect(manual.status).toBe(303);
    expect(manual.headers.location).toBe('/interaction/x');
    expect(manual.setCookies).toEqual(['_interaction=abc; path=/interaction/x']);
    expect(refused).toBe('redirect_refused');
    expect(server.requests).toHaveLength(before + 2);
  });

  it('fails with timeout when the whole answer does not come within the deadline', async () => {
    server.respondWith((_request, response) => {
      response.writeHead(200, { 'content-length': '10' });
      response.write('12345');
    });

    expect(await failureOf(http.requestBytes({ url: server.origin, timeoutMs: 150, maxBodyBytes: 1024 }))).toBe(
      'timeout',
    );
  });

  it('fails with connection_failed, never a throw, for a header value HTTP cannot carry', async () => {
    const before = server.requests.length;

    const failure = await failureOf(
      http.requestBytes({ url: server.origin, headers: { 'x-bad': 'a\r\nb' }, timeoutMs: 5000, maxBodyBytes: 16 }),
    );

    expect(failure).toBe('connection_failed');
    expect(server.requests).toHaveLength(before);
  });
});

describe('the Lambda transport (NodeHttpClient) on kept-alive connections', () => {
  let server: ScriptedServer;
  let http: NodeHttpClient;
  beforeAll(async () => {
    server = await ScriptedServer.start();
  });
  afterEach(() => {
    server.reset();
    http.destroy();
  });
  afterAll(() => server.stop());

  /** Resets the connection the `nth` request (1-based) arrives on, before answering it. */
  const resetOnRequest = (nth: number): Handler => {
    let seen = 0;
    return (request, _body, response) => {
      seen++;
      if (seen === nth) (request.socket as Socket).resetAndDestroy();
      else response.end(`answer ${seen}`);
    };
  };

  it('sends sequential requests on one connection', async () => {
    http = new NodeHttpClient();

    for (let i = 0; i < 10; i++) await http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 });

    expect(server.requests).toHaveLength(10);
    expect(server.connections).toBe(1);
  });

  it('sends an idempotent request once more on a new connection when its kept-alive one was reset', async () => {
    http = new NodeHttpClient();
    server.handler = resetOnRequest(2);
    await http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 });

    const answer = await http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 });

    expect(answer.body).toBe('answer 3');
    expect(server.connections).toBe(2);
  });

  it('resends a POST marked idempotent (introspection), and never one that is not', async () => {
    http = new NodeHttpClient();
    const post = (idempotent?: boolean) =>
      http.request({
        url: server.url,
        method: 'POST',
        body: 'token=t',
        timeoutMs: 5000,
        maxBodyBytes: 64,
        ...(idempotent === undefined ? {} : { idempotent }),
      });

    server.handler = resetOnRequest(2);
    await post(true);
    const resent = await post(true);
    server.reset();
    server.handler = resetOnRequest(2);
    await post();
    const notResent = await failureOf(post());

    expect(resent.body).toBe('answer 3');
    expect(notResent).toBe('connection_failed');
    expect(server.requests).toHaveLength(2);
  });

  it('resends a GET passed on as bytes (requestBytes) on a new connection, and never a POST', async () => {
    http = new NodeHttpClient();
    const passOn = (method: string) =>
      http.requestBytes({
        url: server.url,
        method,
        ...(method === 'GET' ? {} : { body: new Uint8Array([1]) }),
        timeoutMs: 5000,
        maxBodyBytes: 64,
      });

    server.handler = resetOnRequest(2);
    await passOn('GET');
    const resent = await passOn('GET');
    server.reset();
    server.handler = resetOnRequest(2);
    await passOn('POST');
    const notResent = await failureOf(passOn('POST'));

    expect(Buffer.from(resent.body).toString()).toBe('answer 3');
    expect(notResent).toBe('connection_failed');
    expect(server.requests).toHaveLength(2);
  });

  it('sends a request only once when a new connection fails: only a reused one may have died in a freeze', async () => {
    http = new NodeHttpClient();
    server.handler = resetOnRequest(1);

    expect(await failureOf(http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 }))).toBe(
      'connection_failed',
    );
    expect(server.requests).toHaveLength(1);
  });

  /** Answers `ok`, saying the server keeps an idle connection 5 s, and remembers the connection. */
  const keepingFiveSeconds = (seen: { socket?: Socket }): Handler => {
    return (request, _body, response) => {
      seen.socket = request.socket as Socket;
      response.setHeader('keep-alive', 'timeout=5');
      response.end('ok');
    };
  };
  const tokenRequest = () =>
    http.request({ url: server.url, method: 'POST', body: 'grant_type=x', timeoutMs: 5000, maxBodyBytes: 64 });

  it('sends a request that cannot be sent twice on a new connection once the kept one has idled longer than its server keeps one', async () => {
    let now = 0;
    http = new NodeHttpClient({ clock: () => now });
    server.handler = keepingFiveSeconds({});
    await tokenRequest();

    now += 3_900;
    await tokenRequest();
    const whileFresh = server.connections;
    now += 4_100;
    await tokenRequest();

    expect(whileFresh).toBe(1);
    expect(server.connections).toBe(2);
  });

  it('reads the keep-alive time the server gives wherever it stands in the Keep-Alive header', async () => {
    let now = 0;
    http = new NodeHttpClient({ clock: () => now });
    server.handler = (_request, _body, response) => {
      response.setHeader('keep-alive', 'max=100, timeout=2');
      response.end('ok');
    };
    await tokenRequest();

    now += 1_500;
    await tokenRequest();

    expect(server.connections).toBe(2);
  });

  it('keeps an idle connection for a request that may be sent twice: it is resent should the connection be dead', async () => {
    let now = 0;
    http = new NodeHttpClient({ clock: () => now });
    server.handler = keepingFiveSeconds({});
    await http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 });

    now += 60_000;
    await http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 });

    expect(server.connections).toBe(1);
  });

  it('does not lose a token request to a connection its server closed before the client could notice', async () => {
    let now = 0;
    http = new NodeHttpClient({ clock: () => now });
    const seen: { socket?: Socket } = {};
    server.handler = keepingFiveSeconds(seen);
    await tokenRequest();
    await new Promise((resolve) => setImmediate(resolve));

    // The server drops the idle connection; the client's event loop has not run since (a frozen
    // Lambda instance thawing, a busy process), so its pool still holds it.
    seen.socket?.destroy();
    now += 4_500;
    const answer = await tokenRequest();

    expect(answer.body).toBe('ok');
    expect(server.connections).toBe(2);
  });

  it('judges each kept connection by its own idle time: a recent answer on one does not vouch for another', async () => {
    let now = 0;
    http = new NodeHttpClient({ clock: () => now });
    const sockets: Socket[] = [];
    server.handler = (request, _body, response) => {
      sockets.push(request.socket as Socket);
      response.setHeader('keep-alive', 'timeout=5');
      if (request.url === '/slow') setTimeout(() => response.end('slow'), 100);
      else response.end('ok');
    };
    const get = (path = '/') => http.request({ url: `${server.url}${path}`, timeoutMs: 5000, maxBodyBytes: 64 });
    await Promise.all([get(), get()]);
    now += 10_000;
    await get();
    const fresh = sockets[2] as Socket;
    const stale = sockets.find((socket) => socket !== fresh) as Socket;

    // The fresh connection is busy with a slow answer; the server drops the stale one unnoticed.
    const slow = get('/slow');
    await new Promise((resolve) => setImmediate(resolve));
    stale.destroy();
    const answer = await tokenRequest();

    expect(answer.body).toBe('ok');
    expect((await slow).body).toBe('slow');
    expect(server.connections).toBe(3);
  });

  it('resends at most once: a second dead connection fails the request', async () => {
    http = new NodeHttpClient();
    // Two kept-alive connections in the pool, both reset when next used.
    await Promise.all([
      http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 }),
      http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 }),
    ]);
    expect(server.connections).toBe(2);
    server.handler = (request) => (request.socket as Socket).resetAndDestroy();

    expect(await failureOf(http.request({ url: server.url, timeoutMs: 5000, maxBodyBytes: 64 }))).toBe(
      'connection_failed',
    );
    expect(server.requests).toHaveLength(4);
  });
});

describe('the Lambda transport (NodeHttpClient) over TLS', () => {
  const certificate = selfSignedCertificate();
  let server: Server;
  let url: string;
  let connections = 0;
  beforeAll(async () => {
    server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, (_request, response) =>
      response.end('over tls'),
    );
    server.on('secureConnection', () => {
      connections++;
    });
    url = `https://127.0.0.1:${await listenOnLoopback(server, 0)}/`;
  });
  afterAll(() => closeServer(server));

  it('verifies the certificate: refused when no trusted authority signed it', async () => {
    const untrusting = new NodeHttpClient();

    const failure = await untrusting
      .request({ url, timeoutMs: 5000, maxBodyBytes: 64 })
      .catch((error: unknown) => error);

    expect(isHttpClientError(failure) && failure.code).toBe('connection_failed');
    expect((failure as Error).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    untrusting.destroy();
  });

  it('answers over one kept-alive TLS connection when the authority is trusted', async () => {
    const trusting = new NodeHttpClient({ tls: { ca: certificate.cert } });
    connections = 0;

    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) bodies.push((await trusting.request({ url, timeoutMs: 5000, maxBodyBytes: 64 })).body);

    expect(bodies).toEqual(Array(5).fill('over tls'));
    expect(connections).toBe(1);
    trusting.destroy();
  });
});
