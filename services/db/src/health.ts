import { healthResponse } from "@workers/http";
import type { Env } from "./index";

/** A real query, so a broken D1 binding or unmigrated database reports "degraded". */
export async function health(env: Env): Promise<Response> {
  try {
    await env.DB.prepare("SELECT 1 FROM jobs LIMIT 1").first();
    return healthResponse("db", env.VERSION);
  } catch {
    return healthResponse("db", env.VERSION, "degraded");
  }
}
