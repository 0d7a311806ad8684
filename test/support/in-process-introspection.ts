/**
 * A `fetch` for the authorizer's HttpIntrospector that answers in process, for property tests that
 * need thousands of cases a second: tokens it was told about get their signed answer (minted
 * beforehand by a test issuer), every other token `{"active":false}` as RFC 7662 says. It counts
 * calls. The HTTP adapter and the core's verification run unchanged.
 */
export class InProcessIntrospection {
  readonly answers = new Map<string, { readonly body: string; readonly contentType: string }>();
  calls = 0;

  /** The token will be answered with `jwt` (an RFC 9701 answer, or the access token for `jwt`). */
  answerWith(token: string, jwt: string, contentType = 'application/token-introspection+jwt'): void {
    this.answers.set(token, { body: jwt, contentType });
  }

  readonly fetch: typeof fetch = async (_input, init) => {
    this.calls++;
    const token = new URLSearchParams(String(init?.body ?? '')).get('token') ?? '';
    const answer = this.answers.get(token);
    if (answer === undefined) {
      return new Response('{"active":false}', { status: 200, headers: { 'content-type': 'application/json' } });
    }
    return new Response(answer.body, { status: 200, headers: { 'content-type': answer.contentType } });
  };
}
