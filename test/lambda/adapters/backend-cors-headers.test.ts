import { describe, expect, it } from 'vitest';
import {
  backendCorsFromEnvironment,
  backendCorsHeaders,
  originOf,
} from '../../../lambda/adapters/backend-cors-headers.ts';

const CORS = {
  allowOrigins: ['https://app.example.test'],
  exposeHeaders: ['WWW-Authenticate'],
  allowCredentials: false,
};

describe('backendCorsHeaders', () => {
  it('answers an allowed origin with itself, the exposed headers and Vary: Origin', () => {
    expect(backendCorsHeaders(CORS, 'https://app.example.test')).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.test',
      'access-control-expose-headers': 'WWW-Authenticate',
    });
  });

  it('names no origin for another page or a request without Origin, but still says the answer varies by it', () => {
    expect(backendCorsHeaders(CORS, 'https://evil.example.test')).toEqual({ vary: 'Origin' });
    expect(backendCorsHeaders(CORS, 'https://app.example.test.evil.example')).toEqual({ vary: 'Origin' });
    expect(backendCorsHeaders(CORS, undefined)).toEqual({ vary: 'Origin' });
  });

  it('answers * to any page when every origin is allowed, never with credentials', () => {
    expect(
      backendCorsHeaders({ allowOrigins: ['*'], exposeHeaders: [], allowCredentials: true }, 'https://x.example.test'),
    ).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('adds credentials for an allowed origin when allowed', () => {
    expect(backendCorsHeaders({ ...CORS, allowCredentials: true }, 'https://app.example.test')).toMatchObject({
      'access-control-allow-credentials': 'true',
    });
  });

  it('adds nothing without CORS', () => {
    expect(backendCorsHeaders(undefined, 'https://app.example.test')).toEqual({});
  });
});

describe('backendCorsFromEnvironment and originOf', () => {
  it('reads the origins, exposed headers and credentials; nothing without origins', () => {
    expect(
      backendCorsFromEnvironment({
        CORS_ALLOWED_ORIGINS: 'https://a.example.test, https://b.example.test',
        CORS_EXPOSE_HEADERS: 'WWW-Authenticate',
        CORS_ALLOW_CREDENTIALS: 'true',
      }),
    ).toEqual({
      allowOrigins: ['https://a.example.test', 'https://b.example.test'],
      exposeHeaders: ['WWW-Authenticate'],
      allowCredentials: true,
    });
    expect(backendCorsFromEnvironment({})).toBeUndefined();
  });

  it('finds Origin whatever the case of its name (payload 1.0 keeps the client’s)', () => {
    expect(originOf({ Origin: 'https://a.example.test' })).toBe('https://a.example.test');
    expect(originOf({ origin: 'https://b.example.test' })).toBe('https://b.example.test');
    expect(originOf(null)).toBeUndefined();
  });
});
