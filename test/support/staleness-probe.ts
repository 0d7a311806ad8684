import { expect } from 'vitest';
import { rawRequest } from './raw-http.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls GET on `gateway` every `intervalMs` until `untilMs`, every third call on a new path (a new
 * gateway cache key, filled from whatever the authorizer still holds) and the others on one of the
 * last paths (answered from the gateway's cache while it lasts); every answer is 200 or 401. Returns
 * the start time of the last allowed call (0 if none).
 */
export async function lastAllowed(gateway: string, token: string, untilMs: number, intervalMs = 100): Promise<number> {
  const url = new URL(gateway);
  const paths: string[] = [];
  let last = 0;
  for (let i = 0; Date.now() < untilMs; i++) {
    if (i % 3 === 0) paths.push(`/probe/${Math.random().toString(36).slice(2)}`);
    const recent = paths.slice(-20);
    const path = i % 3 === 0 ? (paths.at(-1) as string) : (recent[Math.floor(Math.random() * recent.length)] as string);
    const started = Date.now();
    const answer = await rawRequest(url.origin, 'GET', `${url.pathname.replace(/\/$/, '')}${path}`, {
      authorization: `Bearer ${token}`,
    });
    if (answer.status === 200) last = started;
    else expect(answer.status).toBe(401);
    await pause(intervalMs);
  }
  return last;
}
