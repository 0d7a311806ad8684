import type { LogLevel } from '../lambda/adapters/json-log.ts';
import { resolveCorsSettings } from '../lib/cors.ts';
import { EXAMPLE_API_ROUTES } from '../lib/example-api.ts';
import type { GatewayEventFormat } from './api-gateway/authorizer-events.ts';
import { DEFAULT_REPLICATION_LAG_MS, DEMO_CLIENT_SECRETS, type LocalStackOptions } from './local-stack.ts';

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
  regions: 'LOCAL_REGIONS',
  replicationLagMs: 'REPLICATION_LAG_MS',
  homeRegionFallback: 'HOME_REGION_FALLBACK',
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
} as const;

/** The page origin `npm start` lets call the API unless `CORS_ALLOWED_ORIGINS` says otherwise (a Vite dev server). */
export const DEFAULT_CORS_ALLOWED_ORIGIN = 'http://localhost:5173';

/** Most regions `LOCAL_REGIONS` may name (each is a dynalite, an authorizer and a gateway). */
export const MAX_LOCAL_REGIONS = 6;

/** An AWS region name (`us-east-1`, `us-gov-west-1`, `ap-southeast-2`), as the example app checks them. */
const REGION_NAME = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

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
 * certificates from the openssl command line), `LOG_LEVEL` (default `info`), `CORS_ALLOWED_ORIGINS`
 * (comma-separated page origins that may call the API, default {@link DEFAULT_CORS_ALLOWED_ORIGIN};
 * `off` for no CORS). The demo clients get the fixed
 * {@link DEMO_CLIENT_SECRETS}, so the README walkthrough works as written.
 *
 * Several regions: `LOCAL_REGIONS` (comma-separated, the home region first; unset: one region, and a
 * ready line as before), their gateways on `PORT`, then `PORT` + 2, + 3, … (`PORT` + 1 is the
 * issuer's; free ports when `PORT` is 0), `REPLICATION_LAG_MS` (default 1000) and
 * `HOME_REGION_FALLBACK` (default `false`), both refused with fewer than two regions.
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
    ...readCors(value),
    ...readRegions(value, integer, oneOf, port, issuerPort),
  };
}

/** `CORS_ALLOWED_ORIGINS`: the origins, checked as the constructs check them; `off` for no CORS. */
function readCors(value: (name: string) => string | undefined): Pick<LocalStackOptions, 'cors'> {
  const raw = value(LocalStackEnv.corsAllowedOrigins) ?? DEFAULT_CORS_ALLOWED_ORIGIN;
  if (raw === 'off') return {};
  const allowOrigins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
  try {
    resolveCorsSettings({ allowOrigins }, EXAMPLE_API_ROUTES);
  } catch (error) {
    throw new LocalStackConfigError(
      `${LocalStackEnv.corsAllowedOrigins}: ${(error as Error).message.replace(/^cors\.allowOrigins: /, '')}`,
    );
  }
  return { cors: { allowOrigins } };
}

/** `LOCAL_REGIONS` and what goes with it; nothing at all when it is unset. */
function readRegions(
  value: (name: string) => string | undefined,
  integer: (name: string, fallback: number, max: number) => number,
  oneOf: <T extends string>(name: string, allowed: readonly T[], fallback: T) => T,
  port: number,
  issuerPort: number,
): Pick<LocalStackOptions, 'regions' | 'regionPorts' | 'replicationLagMs' | 'homeRegionFallback'> {
  const listed = value(LocalStackEnv.regions);
  const regions = listed?.split(',').map((region) => region.trim());
  if (regions === undefined || regions.length < 2) {
    for (const name of [LocalStackEnv.replicationLagMs, LocalStackEnv.homeRegionFallback]) {
      if (value(name) !== undefined) {
        throw new LocalStackConfigError(`${name} needs ${LocalStackEnv.regions} with two regions or more`);
      }
    }
  }
  if (regions === undefined) return {};
  const bad = regions.find((region) => !REGION_NAME.test(region));
  if (bad !== undefined) {
    throw new LocalStackConfigError(`${LocalStackEnv.regions}: '${bad.slice(0, 32)}' is not a region name`);
  }
  if (new Set(regions).size !== regions.length) {
    throw new LocalStackConfigError(`${LocalStackEnv.regions} must name each region once`);
  }
  if (regions.length > MAX_LOCAL_REGIONS) {
    throw new LocalStackConfigError(`${LocalStackEnv.regions} names at most ${MAX_LOCAL_REGIONS} regions`);
  }
  if (regions.length === 1) return { regions };
  // The home region's gateway is on PORT and the issuer on PORT + 1; the others follow.
  const regionPorts = Object.fromEntries(
    regions.slice(1).map((region, index) => [region, port === 0 ? 0 : port + 2 + index]),
  );
  const taken = Object.entries(regionPorts).find(([, regionPort]) => regionPort !== 0 && regionPort === issuerPort);
  if (taken !== undefined) {
    throw new LocalStackConfigError(
      `${LocalStackEnv.issuerPort} ${issuerPort} is the port of ${taken[0]}'s gateway; pick another one`,
    );
  }
  const tooHigh = Object.values(regionPorts).some((regionPort) => regionPort > 65_535);
  if (tooHigh) throw new LocalStackConfigError(`${LocalStackEnv.port} leaves no room for every region's gateway`);
  return {
    regions,
    regionPorts,
    replicationLagMs: integer(LocalStackEnv.replicationLagMs, DEFAULT_REPLICATION_LAG_MS, 600_000),
    homeRegionFallback: oneOf(LocalStackEnv.homeRegionFallback, ['true', 'false'], 'false') === 'true',
  };
}
