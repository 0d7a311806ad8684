import { type Duration, Token } from 'aws-cdk-lib';

/** Milliseconds of an optional duration as an environment value. */
export function millis(value: Duration | undefined): string | undefined {
  return value === undefined ? undefined : String(value.toMilliseconds());
}

/** An optional number as an environment value. */
export function numeric(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

/** Whether a prop is an https URL; tokens resolve at deploy time and are let through. */
export function isHttpsUrl(value: string): boolean {
  if (Token.isUnresolved(value)) return true;
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
