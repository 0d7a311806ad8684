import { decodeJwt } from 'jose';
import { decodeBase64Url } from '../base64url.ts';

const BASIC_CREDENTIALS = /^basic +([A-Za-z0-9+/]+={0,2})$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The client a revocation request authenticates as, read from the request exactly as it was sent to
 * the authorization server, for RFC 7009 section 2.1 ("the authorization server first validates the
 * client credentials ... and then verifies whether the token was issued to the client making the
 * revocation request"). The authorization server has checked the credentials by the time this
 * matters (it answered 200); this only names whom it checked:
 *
 * - `client_secret_basic`: the user-id of the HTTP Basic credentials, form-decoded after the Base64
 *   (RFC 6749 section 2.3.1 form-encodes id and secret before they are joined; oidc-provider decodes
 *   them so, and an authorization server must for this to name whom it authenticated);
 * - `client_secret_post`, `none`, `tls_client_auth`: the form's `client_id`;
 * - `private_key_jwt`, `client_secret_jwt`: the `sub` of the client assertion (RFC 7523 section 3,
 *   which the server verified along with the signature).
 *
 * Every place that names a client must name the same one (a form `client_id` next to an assertion
 * must agree with its `sub`), and each may appear once; otherwise, or when none does, or when an
 * Authorization header is not well-formed Basic, the answer is undefined: the caller cannot tell
 * whom the server authenticated, so it must not act for anyone.
 */
export function requestingClientIdOf(authorization: string | undefined, form: URLSearchParams): string | undefined {
  const named: string[] = [];
  if (authorization !== undefined) {
    const basicClientId = basicUserIdOf(authorization);
    if (basicClientId === undefined) return undefined;
    named.push(basicClientId);
  }
  const formClientIds = form.getAll('client_id');
  if (formClientIds.length > 1) return undefined;
  named.push(...formClientIds);
  const assertions = form.getAll('client_assertion');
  if (assertions.length > 1) return undefined;
  if (assertions.length === 1) {
    const subject = assertionSubjectOf(assertions[0] as string);
    if (subject === undefined) return undefined;
    named.push(subject);
  }
  const [first, ...rest] = named;
  if (first === undefined || first === '' || rest.some((other) => other !== first)) return undefined;
  return first;
}

/**
 * The `client_id` claim of a stored `header.payload` (DESIGN section 2; RFC 9068 section 2.2 makes it
 * required in JWT access tokens, and Curity's and oidc-provider's carry it), or undefined when the
 * payload has none or cannot be read. The signature is not checked: whoever can rewrite a record can
 * delete it as well, so trusting the stored claim gives a caller nothing the table does not.
 */
export function tokenClientIdOf(headAndBody: string | undefined): string | undefined {
  const parts = headAndBody?.split('.');
  if (parts?.length !== 2) return undefined;
  const bytes = decodeBase64Url(parts[1] as string);
  if (bytes === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(utf8.decode(bytes));
    if (typeof payload !== 'object' || payload === null) return undefined;
    const clientId = (payload as Record<string, unknown>).client_id;
    return typeof clientId === 'string' && clientId !== '' ? clientId : undefined;
  } catch {
    return undefined;
  }
}

function basicUserIdOf(authorization: string): string | undefined {
  const encoded = BASIC_CREDENTIALS.exec(authorization.trim())?.[1];
  if (encoded === undefined || encoded.length % 4 !== 0) return undefined;
  try {
    const credentials = utf8.decode(Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0)));
    const colon = credentials.indexOf(':');
    if (colon < 0) return undefined;
    return formDecode(credentials.slice(0, colon));
  } catch {
    return undefined;
  }
}

/** application/x-www-form-urlencoded decoding of one value; throws on a malformed escape. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function assertionSubjectOf(assertion: string): string | undefined {
  try {
    const { sub } = decodeJwt(assertion);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
