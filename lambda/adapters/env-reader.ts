/** A setting is missing or invalid; the message names it and never echoes a secret. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** The process environment, or any map of the same shape. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Typed access to environment variables; every failure names the variable. */
export class EnvReader {
  private readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw new ConfigurationError(`${name} is required`);
    return value;
  }

  url(name: string): string {
    const value = this.optionalUrl(name);
    if (value === undefined) throw new ConfigurationError(`${name} is required`);
    return value;
  }

  /** An https URL (http only on loopback), or undefined when unset. */
  optionalUrl(name: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigurationError(`${name} must be an absolute URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
      throw new ConfigurationError(`${name} must use https (http only on loopback)`);
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new ConfigurationError(`${name} must be true or false`);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new ConfigurationError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigurationError(`${name} must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  /** Comma-separated; `fallback` undefined makes the setting required. */
  list(name: string, fallback: readonly string[] | undefined): readonly string[] {
    const value = this.optional(name);
    if (value === undefined) {
      if (fallback === undefined) throw new ConfigurationError(`${name} is required`);
      return fallback;
    }
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0 && fallback === undefined) throw new ConfigurationError(`${name} is required`);
    return items;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
