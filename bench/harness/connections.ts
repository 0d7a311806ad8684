import type { LoopbackFront } from './loopback-front.ts';

/** Calls per count: enough to tell "every call" from "once in a while" from "never". */
const CALLS = 50;

/** Connections a warm candidate opens per call, counted at the front of the dependency it calls. */
export interface ConnectionCount {
  readonly perCall: number;
  readonly detail: string;
}

/**
 * Runs `call` {@link CALLS} times in a row (after the timed rounds, so connections are warm) and
 * counts the connections opened meanwhile at `front`: 0 for a client that keeps its connection
 * alive, 1 per call for one that does not.
 */
export async function connectionsPer(front: LoopbackFront, call: () => unknown): Promise<ConnectionCount> {
  front.reset();
  for (let i = 0; i < CALLS; i++) await call();
  const opened = front.connections();
  return { perCall: opened / CALLS, detail: `${opened} connections opened in ${CALLS} misses` };
}
