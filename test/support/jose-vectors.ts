import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JWK } from 'jose';
import type { JoseCrypto } from '../../lambda/core/crypto-port.ts';
import { JwtVerifier } from '../../lambda/core/jwt-verifier.ts';

/**
 * Outside JOSE test vectors (Project Wycheproof, RFC 7520 cookbook, RFC 8037, RFC 7515 Appendix A)
 * read from `../shared/fixtures/jose-vectors/` beside the repository (never copied into it), with
 * each case's expected answer under this project's JWS profile, and runners that put them through
 * a crypto port or the whole verifier. Expected answers come from each vector's label and from
 * what the vector says about itself (hash, salt length, encoding, key), never from the code
 * under test.
 */

/** `../shared/fixtures/jose-vectors` relative to the repository root. */
export const JOSE_VECTORS_DIR = fileURLToPath(new URL('../../../shared/fixtures/jose-vectors/', import.meta.url));

export type Label = 'valid' | 'invalid' | 'acceptable';

/**
 * Why a case labelled `valid` (or `acceptable`) is refused by design: the JWS profile the
 * verifier implements (asymmetric algorithms of RFC 7518 and RFC 8037 only, jose 6's key rules).
 */
export const PROFILE_REASONS = {
  hmac: 'HMAC (HS*): the verifier takes asymmetric algorithms only (RFC 8725 section 3.1)',
  none: 'alg none: never accepted (RFC 8725 section 3.1)',
  derEcdsa: 'DER-encoded ECDSA signature: JWS uses the fixed-length R || S form (RFC 7518 section 3.4)',
  ecdsaHash: "ECDSA with a hash other than the curve's JWS hash (RFC 7518 section 3.4)",
  pssSalt: 'RSA-PSS with a salt length other than the hash length (RFC 7518 section 3.5)',
  pssMgf: 'RSA-PSS with an MGF1 hash other than the message hash (RFC 7518 section 3.5)',
  hashWithoutJwsAlg: 'a hash no JWS algorithm uses (SHA-1, SHA-224, SHA-512/224, SHA-512/256, SHA-3)',
  smallRsa: 'RSA key under 2048 bits (RFC 7518 section 3.3; jose refuses it)',
  keyAlgMismatch: "the key's alg is not the header's (RFC 7517 section 4.4; jose selects no key)",
  keyUseNotSig: 'the key\'s use is not "sig" (RFC 7517 section 4.2; jose selects no key)',
  keyOpsWithoutVerify: 'the key\'s key_ops lacks "verify" (RFC 7517 section 4.3; jose selects no key)',
  keyOpsBeyondVerify:
    'the key\'s key_ops names operations besides "verify" (jose imports it with them as WebCrypto usages, which a public key cannot have)',
} as const;
export type ProfileReason = (typeof PROFILE_REASONS)[keyof typeof PROFILE_REASONS];

interface CaseInfo {
  readonly tcId: number | string;
  readonly comment: string;
  /** The label under the profile: the vector's own, unless {@link relabelled} says why not. */
  readonly label: Label;
  /** Set when the profile refuses the case whatever its label says. */
  readonly profileReason: ProfileReason | undefined;
  /** Why the label under the profile differs from the vector's own label. */
  readonly relabelled?: string;
}

/** A (key, message, signature, algorithm) case for a crypto port. */
export interface PrimitiveCase extends CaseInfo {
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

/** Cases sharing one key: the key object is shared so a port imports it once. */
export interface PrimitiveGroup {
  readonly alg: string;
  readonly key: JWK;
  readonly cases: readonly PrimitiveCase[];
}

/** A compact JWS with the key set a verifier is given. */
export interface JwsCase extends CaseInfo {
  readonly compact: string;
}

export interface JwsGroup {
  readonly keys: readonly JWK[];
  readonly cases: readonly JwsCase[];
}

export type VectorFile =
  | { readonly file: string; readonly kind: 'primitive'; readonly groups: readonly PrimitiveGroup[] }
  | { readonly file: string; readonly kind: 'jws'; readonly groups: readonly JwsGroup[] };

// biome-ignore lint/suspicious/noExplicitAny: vector files are read field by field as their published schemas describe
type Json = Record<string, any>;

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** Big-endian unsigned integer in hex as exactly `size` bytes (leading zeros dropped or added). */
function fixedWidth(hexInteger: string, size: number): Uint8Array {
  let bytes = hex(hexInteger);
  while (bytes.length > size && bytes[0] === 0) bytes = bytes.subarray(1);
  if (bytes.length >= size) return bytes;
  const padded = new Uint8Array(size);
  padded.set(bytes, size - bytes.length);
  return padded;
}

function minimal(hexInteger: string): Uint8Array {
  let bytes = hex(hexInteger);
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes;
}

const CURVES: Record<string, { crv: string; size: number; alg: string; hash: string }> = {
  secp256r1: { crv: 'P-256', size: 32, alg: 'ES256', hash: 'SHA-256' },
  secp384r1: { crv: 'P-384', size: 48, alg: 'ES384', hash: 'SHA-384' },
  secp521r1: { crv: 'P-521', size: 66, alg: 'ES512', hash: 'SHA-512' },
};
const HASH_BITS: Record<string, string> = { 'SHA-256': '256', 'SHA-384': '384', 'SHA-512': '512' };
const HASH_BYTES: Record<string, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** Every vector file under `dir`; throws on a file it does not know, so nothing is skipped silently. */
export function loadVectorFiles(dir: string = JOSE_VECTORS_DIR): VectorFile[] {
  const files: VectorFile[] = [];
  const wycheproof = join(dir, 'wycheproof');
  for (const name of readdirSync(wycheproof).sort()) {
    if (!name.endsWith('.json')) continue;
    const document = JSON.parse(readFileSync(join(wycheproof, name), 'utf8')) as Json;
    const file = `wycheproof/${name}`;
    const loaded = loadWycheproof(file, document);
    const count = loaded.groups.reduce(
      (sum: number, group: { cases: readonly unknown[] }) => sum + group.cases.length,
      0,
    );
    if (count !== document.numberOfTests)
      throw new Error(`${file}: ${count} cases read, ${document.numberOfTests} declared`);
    files.push(loaded);
  }
  const cookbook = join(dir, 'cookbook');
  for (const name of readdirSync(cookbook).sort()) {
    if (!name.endsWith('.json')) continue;
    files.push(loadCookbook(`cookbook/${name}`, JSON.parse(readFileSync(join(cookbook, name), 'utf8')) as Json));
  }
  const appendix = join(dir, 'rfc7515_appendix_a.json');
  if (existsSync(appendix)) {
    files.push(loadRfc7515('rfc7515_appendix_a.json', JSON.parse(readFileSync(appendix, 'utf8')) as Json));
  }
  return files;
}

function loadWycheproof(file: string, document: Json): VectorFile {
  const schema = String(document.schema);
  const groups = document.testGroups as Json[];
  switch (schema) {
    case 'ecdsa_p1363_verify_schema_v1.json':
    case 'ecdsa_verify_schema_v1.json':
      return { file, kind: 'primitive', groups: groups.map((group) => ecdsaGroup(group, schema)) };
    case 'eddsa_verify_schema_v1.json':
      return { file, kind: 'primitive', groups: groups.map(eddsaGroup) };
    case 'rsassa_pkcs1_verify_schema_v1.json':
      return { file, kind: 'primitive', groups: groups.map(pkcs1Group) };
    case 'rsassa_pss_verify_schema_v1.json':
      return { file, kind: 'primitive', groups: groups.map(pssGroup) };
    case 'json_web_signature_schema_v1.json':
      return { file, kind: 'jws', groups: groups.map(jwsGroup) };
    default:
      throw new Error(`${file}: unknown schema ${schema}`);
  }
}

function primitiveCases(group: Json, profileReason: ProfileReason | undefined): PrimitiveCase[] {
  return (group.tests as Json[]).map((test) => ({
    tcId: test.tcId,
    comment: test.comment,
    label: test.result,
    profileReason,
    message: hex(test.msg),
    signature: hex(test.sig),
  }));
}

function ecdsaGroup(group: Json, schema: string): PrimitiveGroup {
  const curve = CURVES[group.publicKey.curve];
  if (curve === undefined) throw new Error(`unknown curve ${group.publicKey.curve}`);
  const key: JWK = {
    kty: 'EC',
    crv: curve.crv,
    x: b64u(fixedWidth(group.publicKey.wx, curve.size)),
    y: b64u(fixedWidth(group.publicKey.wy, curve.size)),
  };
  const reason =
    schema === 'ecdsa_verify_schema_v1.json'
      ? PROFILE_REASONS.derEcdsa
      : group.sha !== curve.hash
        ? PROFILE_REASONS.ecdsaHash
        : undefined;
  return { alg: curve.alg, key, cases: primitiveCases(group, reason) };
}

function eddsaGroup(group: Json): PrimitiveGroup {
  const key: JWK = group.publicKeyJwk
    ? { kty: 'OKP', crv: group.publicKeyJwk.crv, x: group.publicKeyJwk.x }
    : { kty: 'OKP', crv: 'Ed25519', x: b64u(hex(group.publicKey.pk)) };
  return { alg: 'EdDSA', key, cases: primitiveCases(group, undefined) };
}

function rsaKey(group: Json): JWK {
  return { kty: 'RSA', n: b64u(minimal(group.publicKey.modulus)), e: b64u(minimal(group.publicKey.publicExponent)) };
}

function pkcs1Group(group: Json): PrimitiveGroup {
  const bits = HASH_BITS[group.sha];
  const reason =
    bits === undefined
      ? PROFILE_REASONS.hashWithoutJwsAlg
      : group.keySize < 2048
        ? PROFILE_REASONS.smallRsa
        : undefined;
  // A hash without a JWS algorithm is tried as RS256: the profile has no way to express it.
  return { alg: `RS${bits ?? '256'}`, key: rsaKey(group), cases: primitiveCases(group, reason) };
}

function pssGroup(group: Json): PrimitiveGroup {
  const bits = HASH_BITS[group.sha];
  let reason: ProfileReason | undefined;
  if (bits === undefined) reason = PROFILE_REASONS.hashWithoutJwsAlg;
  else if (group.mgf !== 'MGF1' || group.mgfSha !== group.sha) reason = PROFILE_REASONS.pssMgf;
  else if (group.sLen !== HASH_BYTES[group.sha]) reason = PROFILE_REASONS.pssSalt;
  else if (group.keySize < 2048) reason = PROFILE_REASONS.smallRsa;
  const cases = primitiveCases(group, reason);
  // A hash without a JWS algorithm is tried as PS256: the profile has no way to express it.
  if (reason !== PROFILE_REASONS.pssSalt) return { alg: `PS${bits ?? '256'}`, key: rsaKey(group), cases };
  // A group whose only difference from the profile is its salt length holds cases re-signed with
  // another salt ("s_len changed to N"), invalid for the group's salt. Where N is the hash length,
  // the case is exactly the RSA-PSS signature RFC 7518 section 3.5 defines for PS256/384/512.
  const saltOfProfile = `s_len changed to ${HASH_BYTES[group.sha]}`;
  return {
    alg: `PS${bits}`,
    key: rsaKey(group),
    cases: cases.map((entry) =>
      entry.label === 'invalid' && entry.comment === saltOfProfile
        ? {
            ...entry,
            label: 'valid',
            profileReason: undefined,
            relabelled: `labelled invalid for its group's ${group.sLen}-byte salt; with a ${HASH_BYTES[group.sha]}-byte salt it is a valid PS${bits} signature (RFC 7518 section 3.5)`,
          }
        : entry,
    ),
  };
}

function jwsGroup(group: Json): JwsGroup {
  // HMAC groups have no public key: the verifier gets the secret, as an HMAC verifier would.
  const key = (group.public ?? group.private) as JWK;
  return {
    keys: [key],
    cases: (group.tests as Json[]).map((test) => ({
      tcId: test.tcId,
      comment: test.comment,
      label: test.result,
      profileReason: jwsProfileReason(test.jws, key),
      compact: test.jws,
    })),
  };
}

function loadCookbook(file: string, document: Json): VectorFile {
  const key = publicMembers(document.input.key as JWK);
  const compact = document.output.compact as string;
  return {
    file,
    kind: 'jws',
    groups: [
      {
        keys: [key],
        cases: [
          { tcId: document.title, comment: '', label: 'valid', profileReason: jwsProfileReason(compact, key), compact },
        ],
      },
    ],
  };
}

function loadRfc7515(file: string, document: Json): VectorFile {
  return {
    file,
    kind: 'jws',
    groups: (document.examples as Json[]).map((example) => ({
      keys: [example.jwk as JWK],
      cases: [
        {
          tcId: example.id,
          comment: example.title,
          label: example.result,
          profileReason: jwsProfileReason(example.compact, example.jwk),
          compact: example.compact,
        },
      ],
    })),
  };
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** The cookbook gives private keys; the verifier is given their public part, as a JWKS would. */
function publicMembers(key: JWK): JWK {
  return Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as JWK;
}

/** Why the profile refuses a JWS with this key whatever its label, read from the vector itself. */
function jwsProfileReason(compact: string, key: JWK): ProfileReason | undefined {
  let alg: unknown;
  try {
    alg = JSON.parse(Buffer.from(compact.split('.')[0] ?? '', 'base64url').toString('utf8')).alg;
  } catch {
    return undefined;
  }
  if (typeof alg !== 'string') return undefined;
  if (/^HS/.test(alg)) return PROFILE_REASONS.hmac;
  if (alg === 'none') return PROFILE_REASONS.none;
  if (key.alg !== undefined && key.alg !== alg) return PROFILE_REASONS.keyAlgMismatch;
  if (key.use !== undefined && key.use !== 'sig') return PROFILE_REASONS.keyUseNotSig;
  if (key.key_ops !== undefined) {
    if (!Array.isArray(key.key_ops) || !key.key_ops.includes('verify')) return PROFILE_REASONS.keyOpsWithoutVerify;
    if (key.key_ops.some((operation) => operation !== 'verify')) return PROFILE_REASONS.keyOpsBeyondVerify;
  }
  if (key.kty === 'RSA' && typeof key.n === 'string') {
    const n = Buffer.from(key.n, 'base64url');
    const significant = n.subarray(n.findIndex((byte) => byte !== 0));
    const bits = significant.length * 8 - Math.clz32(significant[0] ?? 0) + 24;
    if (bits < 2048) return PROFILE_REASONS.smallRsa;
  }
  return undefined;
}

/** What a layer did with a case. */
export type Outcome = 'accepted' | 'refused' | 'threw';

/** Where a case lands in the counts. */
export type Verdict = 'accepted' | 'refused' | 'refused_by_profile' | 'acceptable' | 'disagreement';

export function judge(entry: CaseInfo, outcome: Outcome): Verdict {
  if (outcome === 'threw') return 'disagreement';
  if (entry.label === 'acceptable') return 'acceptable';
  if (entry.label === 'invalid') return outcome === 'refused' ? 'refused' : 'disagreement';
  if (entry.profileReason !== undefined) return outcome === 'refused' ? 'refused_by_profile' : 'disagreement';
  return outcome === 'accepted' ? 'accepted' : 'disagreement';
}

export interface Disagreement {
  readonly file: string;
  readonly tcId: number | string;
  readonly comment: string;
  readonly label: Label;
  readonly profileReason: string | undefined;
  readonly outcome: Outcome;
  readonly detail?: string;
}

/** A case counted under a label other than the vector's own, with why. */
export interface Relabelled {
  readonly file: string;
  readonly tcId: number | string;
  readonly comment: string;
  readonly why: string;
  readonly outcome: Outcome;
}

/** Counts of one file through one layer and port. */
export interface Tally {
  readonly file: string;
  readonly layer: 'port' | 'verifier';
  readonly port: string;
  total: number;
  accepted: number;
  refused: number;
  refusedByProfile: number;
  acceptableAccepted: number;
  acceptableRefused: number;
  readonly disagreements: Disagreement[];
  /** Profile refusals by reason. */
  readonly profileReasons: Map<string, number>;
  readonly relabelled: Relabelled[];
}

function newTally(file: string, layer: Tally['layer'], port: string): Tally {
  return {
    file,
    layer,
    port,
    total: 0,
    accepted: 0,
    refused: 0,
    refusedByProfile: 0,
    acceptableAccepted: 0,
    acceptableRefused: 0,
    disagreements: [],
    profileReasons: new Map(),
    relabelled: [],
  };
}

function count(tally: Tally, entry: CaseInfo, outcome: Outcome, detail?: string): void {
  tally.total++;
  if (entry.relabelled !== undefined) {
    tally.relabelled.push({
      file: tally.file,
      tcId: entry.tcId,
      comment: entry.comment,
      why: entry.relabelled,
      outcome,
    });
  }
  const verdict = judge(entry, outcome);
  switch (verdict) {
    case 'accepted':
      tally.accepted++;
      break;
    case 'refused':
      tally.refused++;
      break;
    case 'refused_by_profile':
      tally.refusedByProfile++;
      tally.profileReasons.set(
        entry.profileReason as string,
        (tally.profileReasons.get(entry.profileReason as string) ?? 0) + 1,
      );
      break;
    case 'acceptable':
      if (outcome === 'accepted') tally.acceptableAccepted++;
      else tally.acceptableRefused++;
      break;
    case 'disagreement':
      tally.disagreements.push({
        file: tally.file,
        tcId: entry.tcId,
        comment: entry.comment,
        label: entry.label,
        profileReason: entry.profileReason,
        outcome,
        ...(detail === undefined ? {} : { detail }),
      });
      break;
  }
}

/** Every case of a primitive file through `port.verifySignature`, one key object per group. */
export async function runThroughPort(file: VectorFile & { kind: 'primitive' }, port: JoseCrypto, portName: string) {
  const tally = newTally(file.file, 'port', portName);
  for (const group of file.groups) {
    for (const entry of group.cases) {
      let outcome: Outcome;
      let detail: string | undefined;
      try {
        outcome = (await port.verifySignature(group.alg, group.key, entry.message, entry.signature))
          ? 'accepted'
          : 'refused';
      } catch (error) {
        outcome = 'threw';
        detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      count(tally, entry, outcome, detail);
    }
  }
  return tally;
}

/**
 * Every case of a JWS file through a whole {@link JwtVerifier} wired with `port`, one verifier
 * (so one imported key) per group. The vectors' payloads are not access-token claims, so the
 * verifier is asked about the JWS only: it reads claims only after the signature has verified
 * (its documented order), so `invalid_claims` and `expired` mean the JWS itself was accepted.
 */
export async function runThroughVerifier(file: VectorFile & { kind: 'jws' }, port: JoseCrypto, portName: string) {
  const tally = newTally(file.file, 'verifier', portName);
  for (const group of file.groups) {
    const verifier = new JwtVerifier({
      issuer: 'https://vectors.invalid',
      jwksUri: 'https://vectors.invalid/jwks',
      allowedAlgorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      clockSkewSeconds: 0,
      jwks: { keys: group.keys },
      crypto: port,
    });
    for (const entry of group.cases) {
      let outcome: Outcome;
      let detail: string | undefined;
      try {
        const result = await verifier.verify(entry.compact, { audiences: [], type: undefined, requireExpiry: false });
        const signatureAccepted = result.ok || result.reason === 'invalid_claims' || result.reason === 'expired';
        outcome = signatureAccepted ? 'accepted' : 'refused';
        detail = result.ok ? 'ok' : result.reason;
      } catch (error) {
        outcome = 'threw';
        detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      count(tally, entry, outcome, detail);
    }
  }
  return tally;
}

/** The counts as a fixed-width table, one row per file, layer and port, and a total per port. */
export function formatTallies(tallies: readonly Tally[]): string {
  const header = ['file', 'layer', 'port', 'cases', 'accepted', 'refused', 'by profile', 'acceptable a/r', 'disagree'];
  const row = (t: Omit<Tally, 'disagreements' | 'profileReasons' | 'relabelled'> & { disagreements: number }) => [
    t.file,
    t.layer,
    t.port,
    String(t.total),
    String(t.accepted),
    String(t.refused),
    String(t.refusedByProfile),
    `${t.acceptableAccepted}/${t.acceptableRefused}`,
    String(t.disagreements),
  ];
  const rows = tallies.map((t) => row({ ...t, disagreements: t.disagreements.length }));
  const totals = new Map<string, Tally>();
  for (const t of tallies) {
    const key = `${t.layer} ${t.port}`;
    const sum = totals.get(key) ?? newTally('TOTAL', t.layer, t.port);
    sum.total += t.total;
    sum.accepted += t.accepted;
    sum.refused += t.refused;
    sum.refusedByProfile += t.refusedByProfile;
    sum.acceptableAccepted += t.acceptableAccepted;
    sum.acceptableRefused += t.acceptableRefused;
    sum.disagreements.push(...t.disagreements);
    totals.set(key, sum);
  }
  for (const t of totals.values()) rows.push(row({ ...t, disagreements: t.disagreements.length }));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((r) => (r[column] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column < 3 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number),
      )
      .join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Profile refusals summed by reason over all tallies of one layer and port. */
export function formatProfileReasons(tallies: readonly Tally[]): string {
  const byReason = new Map<string, Map<string, number>>();
  for (const t of tallies) {
    for (const [reason, n] of t.profileReasons) {
      const key = `${t.layer} ${t.port}`;
      const counts = byReason.get(reason) ?? new Map<string, number>();
      counts.set(key, (counts.get(key) ?? 0) + n);
      byReason.set(reason, counts);
    }
  }
  return [...byReason]
    .map(([reason, counts]) => `  ${reason}: ${[...counts].map(([where, n]) => `${n} (${where})`).join(', ')}`)
    .join('\n');
}

/** Cases counted under a label other than their own, each with why and what the layer did. */
export function formatRelabelled(tallies: readonly Tally[]): string {
  return tallies
    .flatMap((t) =>
      t.relabelled.map((r) => `  ${r.file} tcId ${r.tcId} (${t.layer} ${t.port}): ${r.outcome}; ${r.why}`),
    )
    .join('\n');
}
