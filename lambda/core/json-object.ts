/** A plain JSON object (not an array, not null), as JSON.parse makes them. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON object from strict UTF-8, undefined for anything else (bad UTF-8, bad JSON, arrays, scalars). */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
