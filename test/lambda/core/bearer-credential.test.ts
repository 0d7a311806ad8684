import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBearerCredential } from '../../../lambda/core/bearer-credential.ts';

// The grammar as regular expressions: the oracle the one-pass reader must agree with.
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const JWT_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const UNSIGNED_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.$/;

function oracle(token: string) {
  if (!TOKEN68.test(token) || UNSIGNED_JWT.test(token)) return { ok: false, problem: 'malformed' };
  return { ok: true, token, shape: JWT_COMPACT.test(token) ? 'jwt' : 'opaque' };
}

const tokenish = fc.stringMatching(/^[A-Za-z0-9._~+/=\- ]{0,40}$/);
const jwtish = fc
  .tuple(...[0, 1, 2].map(() => fc.stringMatching(/^[A-Za-z0-9_\-=.]{0,6}$/)))
  .map((parts) => parts.join('.'));

describe('readBearerCredential', () => {
  it('agrees with the RFC 6750 token68 grammar and the JWT shape on any token', () => {
    fc.assert(
      fc.property(fc.oneof(tokenish, jwtish, fc.string()), (token) => {
        // RFC 6750 allows one or more spaces after the scheme.
        expect(readBearerCredential(`Bearer ${token}`, 4096)).toEqual(oracle(token.replace(/^ +/, '')));
      }),
      { numRuns: 20_000 },
    );
  });
});
