import { WorkerEntrypoint } from "cloudflare:workers";

export interface Env {
  DB: D1Database;
  VERSION?: WorkerVersionMetadata;
}

export default class DbService extends WorkerEntrypoint<Env> {
  async ping(): Promise<number> {
    const row = await this.env.DB.prepare("SELECT 1 AS ok").first<{ ok: number }>();
    return row?.ok ?? 0;
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") {
      const ok = (await this.ping()) === 1;
      return Response.json({
        service: "db",
        version: this.env.VERSION?.id ?? "dev",
        status: ok ? "ok" : "degraded",
      });
    }
    return Response.json({ error: "not_found" }, { status: 404 });
  }
}
