import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpIntrospector } from '../../../lambda/adapters/http-introspector.ts';
import { isDependencyError } from '../../../lambda/core/dependency-error.ts';
import { type AuthorizationServer, startAuthorizationServer } from '../../../local/authorization-server.ts';
import { requestClientCredentialsToken } from '../../../local/client-credentials.ts';
import { closeServer, listenOnLoopback } from '../../../local/loopback-http.ts';

type Responder = (request: IncomingMessage, body: string, response: ServerResponse) => void;

describe('HttpIntrospector', () => {
  describe('against oidc-provider', () => {
    let as: AuthorizationServer;
    beforeAll(async () => {
      as = await startAuthorizationServer();
    });
    afterAll(() => as?.stop());

    const introspector = (secret?: string) =>
      new HttpIntrospector({
        endpoint: as.introspectionEndpoint,
        clientId: as.clients.introspector.clientId,
        clientSecret: secret ?? as.clients.introspector.clientSecret,
        responseFormat: 'token-introspection+jwt',
        timeoutMs: 2000,
      });

    it('returns the signed RFC 9701 answer for an active token', async () => {
      const { access_token } = await requestClientCredentialsToken({
        tokenEndpoint: as.tokenEndpoint,
        ...as.clients.phantom,
      });

      const answer = await introspector().introspect(access_token);

      expect(answer.kind).toBe('signed');
      expect(answer.kind === 'signed' && answer.jwt.split('.')).toHaveLength(3);
    });

    it('authenticates with client_secret_post when configured', async () => {
      const { access_token } = await requestClientCredentialsToken({
        tokenEndpoint: as.tokenEndpoint,
        ...as.clients.phantom,
      });
      const post = new HttpIntrospector({
        endpoint: as.introspectionEndpoint,
        ...as.clients.introspector,
        clientAuthMethod: 'client_secret_post',
        responseFormat: 'token-introspection+jwt',
        timeoutMs: 2000,
      });

      expect((await post.introspect(access_token)).kind).toBe('signed');
    });

    it('treats rejected client credentials as a dependency fault, not an inactive token', async () => {
      await expect(introspector('wrong-secret').introspect('anything')).rejects.toSatisfy(isDependencyError);
    });
  });

  describe('against scripted answers', () => {
    let respond: Responder = () => {};
    let lastRequest: { headers: IncomingMessage['headers']; body: string } | undefined;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        lastRequest = { headers: request.headers, body };
        respond(request, body, response);
      });
    });
    let endpoint = '';
    beforeAll(async () => {
      endpoint = `http://127.0.0.1:${await listenOnLoopback(server, 0)}/introspect`;
    });
    afterAll(() => closeServer(server));

    const jwtForm = (timeoutMs = 1000) =>
      new HttpIntrospector({ endpoint, clientId: 'gw id', clientSecret: 's:e/cret', responseFormat: 'jwt', timeoutMs });

    it('asks for application/jwt with form-encoded Basic credentials', async () => {
      respond = (_req, _body, res) => res.writeHead(204).end();

      await jwtForm().introspect('tok');

      expect(lastRequest?.headers.accept).toBe('application/jwt');
      expect(lastRequest?.headers.authorization).toBe(`Basic ${btoa('gw+id:s%3Ae%2Fcret')}`);
      expect(new URLSearchParams(lastRequest?.body).get('token')).toBe('tok');
    });

    it('form-encodes the token and, with client_secret_post, the client credentials (no Authorization)', async () => {
      respond = (_req, _body, res) => res.writeHead(204).end();
      const post = new HttpIntrospector({
        endpoint,
        clientId: 'gw id+1',
        clientSecret: 's:e/cret & ~more=',
        clientAuthMethod: 'client_secret_post',
        responseFormat: 'jwt',
        timeoutMs: 1000,
      });

      await post.introspect('a+b/c~d=');

      const form = new URLSearchParams(lastRequest?.body);
      expect(lastRequest?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(lastRequest?.headers.authorization).toBeUndefined();
      expect([...form]).toEqual([
        ['token', 'a+b/c~d='],
        ['token_type_hint', 'access_token'],
        ['client_id', 'gw id+1'],
        ['client_secret', 's:e/cret & ~more='],
      ]);
    });

    it('reads 204, an empty body and a JSON active:false as inactive', async () => {
      const answers: Responder[] = [
        (_q, _b, res) => res.writeHead(204).end(),
        (_q, _b, res) => res.writeHead(200, { 'content-type': 'application/jwt' }).end(''),
        (_q, _b, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":false}'),
      ];
      for (const answer of answers) {
        respond = answer;
        expect(await jwtForm().introspect('t')).toEqual({ kind: 'inactive' });
      }
    });

    it('reads a refusal to introspect this kind of token as inactive, not as an outage', async () => {
      respond = (_q, _b, res) =>
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unsupported_token_type"}');

      expect(await jwtForm().introspect('t')).toEqual({ kind: 'inactive' });
    });

    it('passes a JWT answer on for the core to verify', async () => {
      respond = (_q, _b, res) =>
        res.writeHead(200, { 'content-type': 'application/jwt; charset=utf-8' }).end('aGVhZA.Ym9keQ.c2ln');

      expect(await jwtForm().introspect('t')).toEqual({ kind: 'signed', jwt: 'aGVhZA.Ym9keQ.c2ln', format: 'jwt' });
    });

    it('never trusts an unsigned active answer, malformed bodies, errors or slowness', async () => {
      const faults: Responder[] = [
        (_q, _b, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":true,"sub":"x"}'),
        (_q, _b, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{not json'),
        (_q, _b, res) => res.writeHead(200, { 'content-type': 'application/jwt' }).end('not a jwt at all'),
        (_q, _b, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
        (_q, _b, res) => res.writeHead(500).end(),
        (_q, _b, res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}'),
        (_q, _b, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/' }).end(),
        (_q, _b, res) => res.writeHead(200, { 'content-type': 'application/jwt' }).end('a'.repeat(70_000)),
        (_q, _b, res) => setTimeout(() => res.writeHead(204).end(), 500),
      ];
      for (const fault of faults) {
        respond = fault;
        await expect(jwtForm(200).introspect('t')).rejects.toSatisfy(
          (error: unknown) => isDependencyError(error) && error.code === 'introspection_unavailable',
        );
      }
    });
  });
});
