type UnknownRecord = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is UnknownRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The longest textual IP address (an IPv4-mapped IPv6 address in full form is 45 characters). */
const MAX_ADDRESS_LENGTH = 45;
/** What API Gateway writes: an IPv4 or IPv6 literal (placeholders in documentation examples are not). */
const IPV4_LITERAL = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6_LITERAL = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

/**
 * The client's address as API Gateway saw it: `requestContext.identity.sourceIp` in REST REQUEST
 * events (and HTTP API payload 1.0), `requestContext.http.sourceIp` in HTTP API payload 2.0. REST
 * TOKEN events carry none. AWS documents it as the source address of the TCP connection to API
 * Gateway: behind a CloudFront distribution (or any proxy) in front of the API it is the edge's
 * address, shared by every client that comes through it. It only shares out the introspection
 * budget; the per-instance cap holds whatever it says.
 *
 * Total over any input: anything that is not an IP literal of plausible length gives undefined.
 */
export function sourceAddressOf(event: unknown): string | undefined {
  if (!isRecord(event) || !isRecord(event.requestContext)) return undefined;
  const context = event.requestContext;
  const holder = event.version === '2.0' ? context.http : event.type === 'TOKEN' ? undefined : context.identity;
  if (!isRecord(holder)) return undefined;
  const address = holder.sourceIp;
  if (typeof address !== 'string' || address.length === 0 || address.length > MAX_ADDRESS_LENGTH) return undefined;
  return IPV4_LITERAL.test(address) || IPV6_LITERAL.test(address) ? address : undefined;
}
