import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const auth = exports.default;

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number; message: string }> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: { code: string; status: number; message: string }) => error,
  );
}

const countKeys = async () =>
  (await env.TEST_DB.prepare("SELECT COUNT(*) AS n FROM api_keys").first<{ n: number }>())?.n;

describe("createApiKey", () => {
  it("returns the key once and stores only its SHA-256 hash", async () => {
    const created = await auth.createApiKey({ name: "ci bot" });
    expect(created.key).toMatch(/^wk_[0-9a-f]{64}$/);
    expect(created.prefix).toBe(created.key.slice(0, 11));
    const row = await env.TEST_DB.prepare("SELECT * FROM api_keys WHERE id = ?")
      .bind(created.id)
      .first<Record<string, string>>();
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(created.key));
    const expected = Array.from(new Uint8Array(digest), (b) =>
      b.toString(16).padStart(2, "0"),
    ).join("");
    expect(row).toMatchObject({ name: "ci bot", prefix: created.prefix, hash: expected });
    expect(Object.values(row ?? {})).not.toContain(created.key);
  });

  it("issues a different key every time", async () => {
    const [a, b] = await Promise.all([
      auth.createApiKey({ name: "a" }),
      auth.createApiKey({ name: "a" }),
    ]);
    expect(a.key).not.toBe(b.key);
    expect(a.id).not.toBe(b.id);
  });

  it("rejects a missing or empty name and stores nothing", async () => {
    const before = await countKeys();
    const missing = await rejection(auth.createApiKey({} as never));
    expect(missing).toMatchObject({ code: "invalid_input", status: 400 });
    expect(missing.message).toMatch(/^invalid input: name: /);
    expect((await rejection(auth.createApiKey({ name: "  " }))).status).toBe(400);
    expect(await countKeys()).toBe(before);
  });
});

describe("verifyApiKey", () => {
  it("accepts an issued key and names it", async () => {
    const created = await auth.createApiKey({ name: "deploy" });
    expect(await auth.verifyApiKey(created.key)).toEqual({
      valid: true,
      keyId: created.id,
      name: "deploy",
    });
  });

  it("refuses unknown, altered and malformed keys", async () => {
    const created = await auth.createApiKey({ name: "x" });
    const altered = `${created.key.slice(0, -1)}${created.key.endsWith("0") ? "1" : "0"}`;
    expect(await auth.verifyApiKey(altered)).toEqual({ valid: false });
    expect(await auth.verifyApiKey(`wk_${"0".repeat(64)}`)).toEqual({ valid: false });
    expect(await auth.verifyApiKey("")).toEqual({ valid: false });
    expect(await auth.verifyApiKey(created.prefix)).toEqual({ valid: false });
  });

  it("rejects a non-string key and an oversized one", async () => {
    expect((await rejection(auth.verifyApiKey(42 as never))).status).toBe(400);
    const long = await rejection(auth.verifyApiKey("k".repeat(2000)));
    expect(long.message).toMatch(/^invalid input: input: /);
  });
});

describe("fetch", () => {
  it("answers /health with the version metadata", async () => {
    const res = await auth.fetch("http://auth/health");
    expect(await res.json()).toEqual({ service: "auth", version: env.VERSION?.id, status: "ok" });
  });

  it("answers unknown routes and methods with JSON errors", async () => {
    const missing = await auth.fetch("http://auth/keys");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "not_found", message: "no route for /keys" },
    });
    const post = await auth.fetch("http://auth/health", { method: "POST" });
    expect(post.status).toBe(405);
  });
});
