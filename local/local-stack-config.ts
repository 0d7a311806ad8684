import type { LogLevel } from '../lambda/adapters/json-log.ts';
import type { GatewayEventFormat } from './api-gateway/authorizer-events.ts';
import { DEMO_CLIENT_SECRETS, type LocalStackOptions } from './local-stack.ts';

/** The gateway port `npm start` uses unless `PORT` says otherwise. */
export const DEFAULT_PORT = 3000;

/** Environment variables of `npm start`. */
export const LocalStackEnv = {
  port: 'PORT',
  issuerPort: 'ISSUER_PORT',
  jwtValidation: 'JWT_VALIDATION',
  eventFormat: 'GATEWAY_EVENT_FORMAT',
  cacheTtlSeconds: 'CACHE_TTL_SECONDS',
  senderConstrained: 'SENDER_CONSTRAINED',
  mutualTls: 'MUTUAL_TLS',
  logLevel: 'LOG_LEVEL',
} as const;

/** A bad environment variable; the message names it. */
export class LocalStackConfigError extends Error {
  override readonly name = 'LocalStackConfigError';
}

/**
 * Reads the local stack's options from the environment: `PORT` (gateway, default 3000, 0 picks a
 * free port), `ISSUER_PORT` (the authorization server's front, whose origin is the issuer; default
 * `PORT` + 1, or a free port when `PORT` is 0), `GATEWAY_EVENT_FORMAT` (`rest` or `http`, default
 * `rest`), `CACHE_TTL_SECONDS` (default 10), `JWT_VALIDATION` (default `true`; `false` runs the
 * authorizer as deployed by default), `SENDER_CONSTRAINED` (default `true`: DPoP and
 * certificate-bound tokens accepted with their proofs, the gateway's result cache off),
 * `MUTUAL_TLS` (default `false`; `true` adds the API and the token endpoint on mutual TLS hosts,
 * certificates from the openssl command line), `LOG_LEVEL` (default `info`). The demo clients get the fixed
 * {@link DEMO_CLIENT_SECRETS}, so the README walkthrough works as written.
 */
export function readLocalStackOptions(env: Readonly<Record<string, string | undefined>>): LocalStackOptions {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const integer = (name: string, fallback: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > max) {
      throw new LocalStackConfigError(`${name} must be a whole number from 0 to ${max}`);
    }
    return parsed;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new LocalStackConfigError(`${name} must be one of ${allowed.join(', ')}`);
    }
    return raw as T;
  };
  const port = integer(LocalStackEnv.port, DEFAULT_PORT, 65_535);
  const issuerPort = integer(LocalStackEnv.issuerPort, port === 0 ? 0 : port + 1, 65_535);
  if (issuerPort !== 0 && issuerPort === port) {
    throw new LocalStackConfigError(`${LocalStackEnv.issuerPort} must differ from ${LocalStackEnv.port}`);
  }
  const jwtValidation = oneOf(LocalStackEnv.jwtValidation, ['true', 'false'], 'true') === 'true';
  return {
    port,
    issuerPort,
    jwtValidation,
    eventFormat: oneOf<GatewayEventFormat>(LocalStackEnv.eventFormat, ['rest', 'http'], 'rest'),
    cacheTtlSeconds: integer(LocalStackEnv.cacheTtlSeconds, 10, 3600),
    senderConstrained: oneOf(LocalStackEnv.senderConstrained, ['true', 'false'], 'true') === 'true',
    ...(oneOf(LocalStackEnv.mutualTls, ['true', 'false'], 'false') === 'true' ? { mutualTls: true } : {}),
    logLevel: oneOf<LogLevel>(LocalStackEnv.logLevel, ['debug', 'info', 'warn', 'error'], 'info'),
    clientSecrets: DEMO_CLIENT_SECRETS,
  };
}
