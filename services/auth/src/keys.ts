/** Every key starts with this, so a leaked key is recognisable in logs and secret scanners. */
export const KEY_PREFIX = "wk_";
const SECRET_BYTES = 32;
/** Shown to users to tell their keys apart; far too short to help guess the rest. */
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 8;
export const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9a-f]{${SECRET_BYTES * 2}}$`);

function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function generateKey(): { key: string; prefix: string } {
  const key = KEY_PREFIX + toHex(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
  return { key, prefix: key.slice(0, DISPLAY_PREFIX_LENGTH) };
}

/** Keys carry 256 random bits, so a plain SHA-256 is enough; no salt or slow KDF needed. */
export async function hashKey(key: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
}
