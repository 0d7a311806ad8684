import { afterAll, expect, it } from 'vitest';
import { nodeJoseCrypto } from '../../lambda/adapters/node-crypto.ts';
import type { JoseCrypto } from '../../lambda/core/crypto-port.ts';
import { WebJoseCrypto } from '../../lambda/core/web-crypto.ts';
import {
  formatProfileReasons,
  formatRelabelled,
  formatTallies,
  JOSE_VECTORS_DIR,
  loadVectorFiles,
  runThroughPort,
  runThroughVerifier,
  type Tally,
  type VectorFile,
} from '../support/jose-vectors.ts';
import { describeWithSharedFixtures } from '../support/shared-fixtures.ts';

// Outside vectors (Wycheproof, RFC 7520 and RFC 8037 cookbook, RFC 7515 Appendix A) through both
// crypto ports and, for the ones that are compact JWSs with a JWK, the whole verifier. Each case's
// expected answer is its label under the JWS profile (see PROFILE_REASONS); the counts are printed.
// CI sets REQUIRE_SHARED_FIXTURES=1: there, missing vectors fail; elsewhere they skip with a notice.

const PORTS: readonly [string, JoseCrypto][] = [
  ['node:crypto', nodeJoseCrypto],
  ['WebCrypto', new WebJoseCrypto()],
];
describeWithSharedFixtures('JOSE test vectors under the JWS profile', 'jose-vectors', () => {
  const files: VectorFile[] = loadVectorFiles();
  const tallies: Tally[] = [];

  afterAll(() => {
    if (tallies.length === 0) return;
    console.log(`JOSE vector counts (${JOSE_VECTORS_DIR})\n${formatTallies(tallies)}`);
    console.log(`Refused by profile, by reason:\n${formatProfileReasons(tallies)}`);
    console.log(`Counted under another label than the vector's own:\n${formatRelabelled(tallies)}`);
  });

  it('reads every vector file there is, with as many cases as each declares', () => {
    const names = files.map((file) => file.file);
    expect(names.filter((name) => name.startsWith('wycheproof/')).length).toBeGreaterThanOrEqual(26);
    expect(names).toContain('wycheproof/json_web_signature_test.json');
    expect(names.filter((name) => name.startsWith('cookbook/')).length).toBeGreaterThanOrEqual(4);
    expect(names).toContain('rfc7515_appendix_a.json');
  });

  for (const [portName, port] of PORTS) {
    it(`every signature vector through the ${portName} port agrees with its label`, async () => {
      const mine: Tally[] = [];
      for (const file of files) if (file.kind === 'primitive') mine.push(await runThroughPort(file, port, portName));
      tallies.push(...mine);

      expect(mine.flatMap((tally) => tally.disagreements)).toEqual([]);
    });

    it(`every compact-JWS vector through the whole verifier on the ${portName} port agrees with its label`, async () => {
      const mine: Tally[] = [];
      for (const file of files) if (file.kind === 'jws') mine.push(await runThroughVerifier(file, port, portName));
      tallies.push(...mine);

      expect(mine.flatMap((tally) => tally.disagreements)).toEqual([]);
    });
  }
});
