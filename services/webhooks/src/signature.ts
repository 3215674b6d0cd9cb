const HEADER_FORMAT = /^sha256=([0-9a-f]{64})$/i;

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Checks `x-signature: sha256=<hex>` against an HMAC-SHA256 of the exact bytes received.
 * `crypto.subtle.verify` compares in constant time, so the check leaks no timing about how
 * much of a forged signature was right.
 */
export async function verifySignature(
  secret: string,
  rawBody: Uint8Array,
  header: string | null,
): Promise<boolean> {
  const match = HEADER_FORMAT.exec(header ?? "");
  if (!match?.[1]) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  return crypto.subtle.verify("HMAC", key, hexToBytes(match[1]), rawBody);
}
