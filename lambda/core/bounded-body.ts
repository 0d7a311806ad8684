/**
 * The body of an HTTP answer, read as it streams and never past `maxBytes`: undefined (and the
 * stream cancelled, which closes the connection) as soon as more than `maxBytes` bytes have
 * arrived, whatever `Content-Length` said and however the body is framed (a declared length,
 * chunked transfer encoding, or until the connection closes). A declared `Content-Length` larger
 * than `maxBytes` is refused before anything is read; a smaller one is never trusted to bound the
 * read. Web `Response` and `ReadableStream` only, so both the core and the adapters use it.
 *
 * @throws what the stream throws (a reset connection, an aborted or timed-out request)
 */
export async function readBoundedBytes(response: Response, maxBytes: number): Promise<Uint8Array | undefined> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('maxBytes must be a non-negative integer');
  const body = response.body;
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) {
    cancelQuietly(body?.cancel());
    return undefined;
  }
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Not awaited: the refusal does not wait for the transport to tear the connection down.
      cancelQuietly(reader.cancel());
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * {@link readBoundedBytes} decoded as UTF-8 (malformed sequences replaced, a BOM dropped, as
 * `Response.text()` does), or undefined when the body is larger than `maxBytes` bytes.
 */
export async function readBoundedText(response: Response, maxBytes: number): Promise<string | undefined> {
  const bytes = await readBoundedBytes(response, maxBytes);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

function cancelQuietly(cancelling: Promise<void> | undefined): void {
  cancelling?.catch(() => undefined);
}
