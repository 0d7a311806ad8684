import assert from 'node:assert/strict';
import type { JWK } from 'jose';
import { isDependencyError } from '../../../../lambda/core/dependency-error.ts';
import { fetchHttpClient } from '../../../../lambda/core/http-client.ts';
import { RemoteJwks, type RemoteJwksOptions } from '../../../../lambda/core/remote-jwks.ts';
import type { Scenario } from './scenario.ts';

const URL_ = 'https://issuer.test/jwks';
const KEY_A: JWK = { kty: 'OKP', crv: 'Ed25519', x: 'a', kid: 'a' };
const KEY_B: JWK = { kty: 'OKP', crv: 'Ed25519', x: 'b', kid: 'b' };

type Answer = () => Response | Promise<Response>;

/**
 * A scripted fetch that counts calls and remembers each request's init; `http` is the core's web
 * transport over it, as the core uses fetch by default.
 */
export class ScriptedFetch {
  calls = 0;
  inits: RequestInit[] = [];
  answer: Answer;

  constructor(answer: Answer) {
    this.answer = answer;
  }

  readonly fetch = (async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    this.calls++;
    this.inits.push(init ?? {});
    return this.answer();
  }) as typeof fetch;

  readonly http = fetchHttpClient(this.fetch);
}

export const jwksAnswer = (keys: readonly JWK[]) => () => Response.json({ keys });

function setup(answer: Answer, options: Partial<RemoteJwksOptions> = {}) {
  const scripted = new ScriptedFetch(answer);
  const time = { now: 1_000_000 };
  const jwks = new RemoteJwks({
    url: URL_,
    cooldownMs: 30_000,
    maxAgeMs: 600_000,
    http: scripted.http,
    clock: () => time.now,
    ...options,
  });
  return { scripted, time, jwks };
}

const isJwksUnavailable = (error: unknown) => isDependencyError(error) && error.code === 'jwks_unavailable';

export const remoteJwksScenarios: Scenario[] = [
  {
    name: 'remote JWKS: fetched once with GET, no redirects and a timeout signal, then served from the cache',
    async run() {
      const { scripted, jwks } = setup(jwksAnswer([KEY_A]));

      assert.deepEqual(await jwks.keys(), [KEY_A]);
      const cached = jwks.keys();
      assert.ok(Array.isArray(cached), 'a fresh set is returned synchronously');
      assert.equal(scripted.calls, 1);
      const init = scripted.inits[0] as RequestInit;
      assert.equal(init.method, 'GET');
      assert.equal(init.redirect, 'manual', 'a redirect is never followed (it is refused: see below)');
      assert.ok(init.signal instanceof AbortSignal);
    },
  },
  {
    name: 'remote JWKS: concurrent callers share the one fetch in flight',
    async run() {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { scripted, jwks } = setup(async () => {
        await gate;
        return Response.json({ keys: [KEY_A] });
      });

      const waiting = Array.from({ length: 50 }, () => jwks.keys());
      const refetch = jwks.refetchForUnknownKey();
      release();
      const results = await Promise.all([...waiting, refetch]);

      assert.equal(scripted.calls, 1);
      for (const keys of results) assert.deepEqual(keys, [KEY_A]);
    },
  },
  {
    name: 'remote JWKS: refetched after the max age',
    async run() {
      const { scripted, time, jwks } = setup(jwksAnswer([KEY_A]), { maxAgeMs: 60_000 });
      await jwks.keys();
      time.now += 59_999;
      await jwks.keys();
      assert.equal(scripted.calls, 1);

      scripted.answer = jwksAnswer([KEY_B]);
      time.now += 1;
      assert.deepEqual(await jwks.keys(), [KEY_B]);
      assert.equal(scripted.calls, 2);
    },
  },
  {
    name: 'remote JWKS: an unknown key refetches at most once per cooldown after the last fetch',
    async run() {
      const { scripted, time, jwks } = setup(jwksAnswer([KEY_A]), { cooldownMs: 30_000 });
      await jwks.keys();

      assert.equal(jwks.refetchForUnknownKey(), undefined, 'cooling down right after the first fetch');
      time.now += 29_999;
      assert.equal(jwks.refetchForUnknownKey(), undefined);
      time.now += 1;
      scripted.answer = jwksAnswer([KEY_A, KEY_B]);
      assert.deepEqual(await jwks.refetchForUnknownKey(), [KEY_A, KEY_B]);
      assert.equal(jwks.refetchForUnknownKey(), undefined, 'cooling down again');
      assert.deepEqual(await jwks.keys(), [KEY_A, KEY_B]);
      assert.equal(scripted.calls, 2);
    },
  },
  {
    name: 'remote JWKS: a JWKS that does not answer in time is a dependency error',
    async run() {
      const started = Date.now();
      const { scripted, jwks } = setup(() => new Promise<Response>(() => {}), { timeoutMs: 30 });
      // A fetch that hangs until its signal aborts, as real fetches do.
      scripted.answer = () =>
        new Promise<Response>((_resolve, reject) => {
          const signal = scripted.inits.at(-1)?.signal;
          signal?.addEventListener('abort', () => reject(signal.reason));
        });

      await assert.rejects(async () => jwks.keys(), isJwksUnavailable);
      assert.equal(scripted.calls, 1);
      assert.ok(Date.now() - started < 5000);
    },
  },
  {
    name: 'remote JWKS: errors, non-200, bad JSON and bad shapes are dependency errors and are not cached',
    async run() {
      const answers: [string, Answer][] = [
        ['network', () => Promise.reject(new TypeError('fetch failed'))],
        ['500', () => new Response('oops', { status: 500 })],
        ['302', () => new Response(null, { status: 302, headers: { location: 'https://evil.test/jwks' } })],
        ['204', () => new Response(null, { status: 204 })],
        ['not JSON', () => new Response('<html>', { status: 200 })],
        ['null', () => Response.json(null)],
        ['array', () => Response.json([KEY_A])],
        ['no keys', () => Response.json({})],
        ['keys not an array', () => Response.json({ keys: { a: KEY_A } })],
        ['a key not an object', () => Response.json({ keys: [KEY_A, 'key'] })],
        ['a key an array', () => Response.json({ keys: [[KEY_A]] })],
      ];
      for (const [what, answer] of answers) {
        const { scripted, jwks } = setup(answer);
        await assert.rejects(async () => jwks.keys(), isJwksUnavailable, what);
        scripted.answer = jwksAnswer([KEY_A]);
        assert.deepEqual(await jwks.keys(), [KEY_A], `${what}: the next call fetches again`);
        assert.equal(scripted.calls, 2, what);
      }
    },
  },
  {
    name: 'remote JWKS: a failed refetch keeps no stale promise, and the cached keys stay until their max age',
    async run() {
      const { scripted, time, jwks } = setup(jwksAnswer([KEY_A]));
      await jwks.keys();
      time.now += 30_000;
      scripted.answer = () => new Response('down', { status: 503 });

      await assert.rejects(async () => jwks.refetchForUnknownKey(), isJwksUnavailable);
      assert.deepEqual(jwks.keys(), [KEY_A]);
      scripted.answer = jwksAnswer([KEY_B]);
      assert.deepEqual(await jwks.refetchForUnknownKey(), [KEY_B], 'a failure starts no cooldown');
    },
  },
  {
    name: 'remote JWKS: the error message holds nothing of the answer',
    async run() {
      const { jwks } = setup(() => new Response('{"keys": "secret-ish"}', { status: 200 }));
      await assert.rejects(
        async () => jwks.keys(),
        (error: unknown) => isJwksUnavailable(error) && !(error as Error).message.includes('secret-ish'),
      );
    },
  },
];
