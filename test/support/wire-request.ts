import { request } from 'node:http';

/** An answer as it came over the wire: repeated headers kept apart. */
export interface WireAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

/**
 * One HTTP/1.1 request with exactly the header lines given (fetch refuses hop-by-hop and some
 * other names; a hostile client does not), over a fresh connection.
 */
export function wireRequest(
  url: string,
  options: {
    method?: string;
    headers?: readonly (readonly [string, string])[];
    body?: Buffer | string;
    /** The request target exactly as sent, instead of the URL's normalized path. */
    rawTarget?: string;
  } = {},
): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: string[] = [];
    for (const [name, value] of options.headers ?? []) headers.push(name, value);
    // Node adds no Host line to a request whose headers are given as an array.
    if (!headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'host')) headers.push('host', target.host);
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    if (body !== undefined) headers.push('content-length', String(body.length));
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.rawTarget ?? `${target.pathname}${target.search}`,
        headers,
        agent: false,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const answerHeaders: Record<string, string[]> = {};
          for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
            const name = (incoming.rawHeaders[i] as string).toLowerCase();
            answerHeaders[name] = [...(answerHeaders[name] ?? []), incoming.rawHeaders[i + 1] as string];
          }
          resolve({ status: incoming.statusCode ?? 0, headers: answerHeaders, body: Buffer.concat(chunks) });
        });
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
