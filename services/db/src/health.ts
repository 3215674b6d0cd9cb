import type { Env } from "./index";

/** A real query, so a broken D1 binding or unmigrated database reports "degraded". */
export async function health(env: Env): Promise<Response> {
  const version = env.VERSION?.id ?? "dev";
  try {
    await env.DB.prepare("SELECT 1 FROM jobs LIMIT 1").first();
    return Response.json({ service: "db", version, status: "ok" });
  } catch {
    return Response.json({ service: "db", version, status: "degraded" }, { status: 503 });
  }
}
