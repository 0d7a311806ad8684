import type { Agent as HttpAgentType, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgentType } from 'node:https';
import { createRequire } from 'node:module';

// The cheapest way to load them: on Node 24 an ES module import of node:http loads undici (about
// 25 ms of a cold start) while require() does not, so a careful hand-written handler requires them.
const nodeRequire = createRequire(import.meta.url);
const { Agent: HttpAgent, request: httpRequest } = nodeRequire('node:http') as typeof import('node:http');
const { Agent: HttpsAgent, request: httpsRequest } = nodeRequire('node:https') as typeof import('node:https');

/** What the limits get back from a round trip. */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/** Keep-alive agents, as a careful hand-written client keeps them (one per scheme). */
export interface RawAgents {
  readonly http: HttpAgentType;
  readonly https: HttpsAgentType;
}

export function rawAgents(): RawAgents {
  return { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
}

/**
 * The least a round trip can cost in Node: node:http(s) on a keep-alive agent, the body gathered as
 * it comes. No deadline, no body limit, no resend, no error mapping: the limit the transports are
 * measured against, not a client to ship.
 */
export function rawRequest(
  agents: RawAgents,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: secure ? agents.https : agents.http },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}
