import { WorkerEntrypoint } from "cloudflare:workers";
import { parseInput } from "@workers/db/errors";
import { healthResponse, jsonError } from "@workers/http";
import type { Env } from "./env";
import { generateKey, hashKey, KEY_PATTERN } from "./keys";
import { CreateApiKey, type CreateApiKeyInput, PresentedKey, type Verification } from "./schemas";

export type { Env } from "./env";
export type { Verification } from "./schemas";

export default class AuthService extends WorkerEntrypoint<Env> {
  /** The key is returned once; only its SHA-256 hash is stored. */
  async createApiKey(
    input: CreateApiKeyInput,
  ): Promise<{ id: string; key: string; prefix: string }> {
    const { name } = parseInput(CreateApiKey, input);
    const { key, prefix } = generateKey();
    const id = crypto.randomUUID();
    await this.env.DB.insertApiKey({ id, name, prefix, hash: await hashKey(key) });
    return { id, key, prefix };
  }

  async verifyApiKey(key: string): Promise<Verification> {
    const presented = parseInput(PresentedKey, key);
    if (!KEY_PATTERN.test(presented)) return { valid: false };
    const record = await this.env.DB.findApiKeyByHash(await hashKey(presented));
    return record ? { valid: true, keyId: record.id, name: record.name } : { valid: false };
  }

  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname !== "/health") return jsonError(404, "not_found", `no route for ${pathname}`);
    if (request.method !== "GET") {
      return jsonError(405, "method_not_allowed", "use GET for /health");
    }
    return healthResponse("auth", this.env.VERSION);
  }
}
