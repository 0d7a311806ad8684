/**
 * The body of an HTTP answer as text, or undefined when it is larger than `maxBytes`: an answer that
 * large is not what was asked for, and is refused rather than buffered whole when its length is declared.
 */
export async function readBoundedText(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  const text = await response.text();
  return text.length > maxBytes ? undefined : text;
}
