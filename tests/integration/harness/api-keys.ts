import type { Miniflare } from "miniflare";
import * as z from "zod";
import { callGateway } from "./gateway-client.js";
import { testSecrets } from "./test-secrets.js";

const CreatedApiKey = z.object({ id: z.string(), key: z.string().min(1), prefix: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

/** Creates an API key the way an operator does: POST /v1/keys with the admin token. */
export async function createApiKey(mf: Miniflare, name: string): Promise<CreatedApiKey> {
  const response = await callGateway(mf, "/v1/keys", {
    method: "POST",
    token: testSecrets.ADMIN_TOKEN,
    body: { name },
  });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`POST /v1/keys answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return CreatedApiKey.parse(response.body);
}
