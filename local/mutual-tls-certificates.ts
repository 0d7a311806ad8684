import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and its certificate, PEM. */
export interface CertifiedKey {
  readonly keyPem: string;
  readonly certPem: string;
  /** Where both are written, for clients that read files (curl `--cert`, `--key`). */
  readonly keyFile: string;
  readonly certFile: string;
}

/** A local certificate authority for mutual TLS on 127.0.0.1. */
export interface LocalCertificateAuthority {
  readonly caPem: string;
  readonly caFile: string;
  /** A server certificate for 127.0.0.1 and localhost. */
  readonly server: CertifiedKey;
  /** A new client certificate (`extendedKeyUsage=clientAuth`) with this common name. */
  issueClient(commonName: string): CertifiedKey;
  /** Deletes the files. */
  remove(): void;
}

/**
 * Makes a certificate authority, a server certificate and client certificates with the openssl
 * command-line tool (P-256 keys, valid for a day), in a temporary directory. Only for the local
 * stack and tests: a deployed API's truststore holds your own CA.
 *
 * @throws when openssl is not on the PATH
 */
export function createLocalCertificateAuthority(): LocalCertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'otg-mtls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=opaque-token-gateway local CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  let serial = 1;
  const issue = (name: string, commonName: string, extensions: string): CertifiedKey => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', ...ecKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${commonName}`);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      String(serial++),
      '-days',
      '1',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
    return {
      keyPem: readFileSync(file(`${name}.key`), 'utf8'),
      certPem: readFileSync(file(`${name}.pem`), 'utf8'),
      keyFile: file(`${name}.key`),
      certFile: file(`${name}.pem`),
    };
  };
  const server = issue(
    'server',
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  let clients = 0;
  return {
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    server,
    issueClient: (commonName) =>
      issue(`client-${++clients}`, commonName, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
