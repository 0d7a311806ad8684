import { describe, expect, it } from 'vitest';
import type { CorsSettings } from '../../../lib/cors.ts';
import {
  httpApiPreflightAnswer,
  isHttpApiCorsRequest,
  withHttpApiCorsHeaders,
} from '../../../local/api-gateway/http-api-cors.ts';
import { restCorsPreflightAnswer } from '../../../local/api-gateway/rest-cors-preflight.ts';

// Expected values come from AWS's documentation (http-api-cors.html, how-to-cors.html, the
// mapping-template reference's responseOverride) and aws-cdk-lib's addCorsPreflight, written out
// here by hand, never read from the imitation.

const SETTINGS: CorsSettings = {
  allowOrigins: ['https://app.example.test', 'https://admin.example.test'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['Authorization', 'DPoP'],
  exposeHeaders: ['WWW-Authenticate'],
  maxAgeSeconds: 600,
  allowCredentials: false,
};

const PREFLIGHT = (origin: string, originHeader = 'Origin') => [
  originHeader,
  origin,
  'Access-Control-Request-Method',
  'POST',
  'Access-Control-Request-Headers',
  'authorization,dpop',
];

describe('the REST OPTIONS method (MOCK integration)', () => {
  it('answers 204 with the literal headers, the first origin for a page not listed', () => {
    const answer = restCorsPreflightAnswer(SETTINGS, PREFLIGHT('https://evil.example.test'));
    expect(answer).toEqual({
      status: 204,
      headers: {
        'content-type': 'application/json',
        'access-control-allow-headers': 'Authorization,DPoP',
        'access-control-allow-origin': 'https://app.example.test',
        vary: 'Origin',
        'access-control-allow-methods': 'GET,POST',
        'access-control-max-age': '600',
        'access-control-expose-headers': 'WWW-Authenticate',
      },
      body: '',
    });
  });

  it('answers a listed second origin with itself, through the response override', () => {
    expect(
      restCorsPreflightAnswer(SETTINGS, PREFLIGHT('https://admin.example.test')).headers['access-control-allow-origin'],
    ).toBe('https://admin.example.test');
    expect(
      restCorsPreflightAnswer(SETTINGS, PREFLIGHT('https://admin.example.test', 'origin')).headers[
        'access-control-allow-origin'
      ],
    ).toBe('https://admin.example.test');
  });

  it('reads only the spellings Origin and origin, as the template’s header.get does', () => {
    expect(
      restCorsPreflightAnswer(SETTINGS, PREFLIGHT('https://admin.example.test', 'ORIGIN')).headers[
        'access-control-allow-origin'
      ],
    ).toBe('https://app.example.test');
  });

  it('answers any OPTIONS request the same, preflight or not: a mock reaches no backend', () => {
    expect(restCorsPreflightAnswer(SETTINGS, []).status).toBe(204);
    expect(restCorsPreflightAnswer(SETTINGS, []).body).toBe('');
  });

  it('adds credentials when allowed, and no Vary with the origin *', () => {
    const any = restCorsPreflightAnswer({ ...SETTINGS, allowOrigins: ['*'] }, PREFLIGHT('https://x.example.test'));
    expect(any.headers['access-control-allow-origin']).toBe('*');
    expect(any.headers).not.toHaveProperty('vary');
    const credentials = restCorsPreflightAnswer({ ...SETTINGS, allowCredentials: true }, PREFLIGHT('https://x.test'));
    expect(credentials.headers['access-control-allow-credentials']).toBe('true');
  });
});

describe('the HTTP API CORS configuration', () => {
  it('counts as CORS requests those with Origin, and for OPTIONS also Access-Control-Request-Method', () => {
    expect(isHttpApiCorsRequest('GET', ['Origin', 'https://app.example.test'])).toBe(true);
    expect(isHttpApiCorsRequest('GET', [])).toBe(false);
    expect(isHttpApiCorsRequest('OPTIONS', ['Origin', 'https://app.example.test'])).toBe(false);
    expect(isHttpApiCorsRequest('OPTIONS', PREFLIGHT('https://app.example.test'))).toBe(true);
  });

  it('answers a preflight from a listed origin with it and the configured methods, headers and max age', () => {
    const answer = httpApiPreflightAnswer(SETTINGS, PREFLIGHT('https://admin.example.test'));
    expect(answer.status).toBeGreaterThanOrEqual(200);
    expect(answer.status).toBeLessThan(300);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': 'https://admin.example.test',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'Authorization,DPoP',
      'access-control-max-age': '600',
    });
  });

  it('names no origin in a preflight answer to a page not listed', () => {
    expect(httpApiPreflightAnswer(SETTINGS, PREFLIGHT('https://evil.example.test')).headers).not.toHaveProperty(
      'access-control-allow-origin',
    );
  });

  it('replaces the integration’s CORS headers with the configured ones on a CORS request', () => {
    const answer = withHttpApiCorsHeaders(
      {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'access-control-allow-origin': '*',
          'Access-Control-Max-Age': '1',
        },
        body: '{}',
      },
      SETTINGS,
      'GET',
      ['Origin', 'https://app.example.test'],
    );
    expect(answer.headers).toEqual({
      'content-type': 'application/json',
      'access-control-allow-origin': 'https://app.example.test',
      'access-control-expose-headers': 'WWW-Authenticate',
    });
  });

  it('ignores the integration’s CORS headers on any request, and adds none without Origin', () => {
    const answer = withHttpApiCorsHeaders(
      { status: 200, headers: { 'access-control-allow-origin': '*' }, body: '' },
      SETTINGS,
      'GET',
      [],
    );
    expect(answer.headers).toEqual({});
  });
});
