import { Hono } from "hono";
import { requireAdminToken, requireApiKey } from "./auth";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { forward } from "./forward";
import { readJson } from "./read-json";
import { CreateKeyBody, EnqueueJobBody, SendEmailBody } from "./schemas";

/** The /v1 API. Public and admin routes come first; the API-key check covers all the rest. */
export const v1 = new Hono<AppEnv>()
  .post("/webhooks/:source", (c) =>
    forward(c, c.env.WEBHOOKS, `/webhooks/${encodeURIComponent(c.req.param("source"))}`),
  )
  .post("/keys", requireAdminToken, async (c) => {
    const { name } = await readJson(c, CreateKeyBody);
    return c.json(await c.env.AUTH.createApiKey({ name }), 201);
  })
  .use(requireApiKey)
  .post("/jobs", async (c) => {
    const job = await readJson(c, EnqueueJobBody);
    return c.json(await c.env.QUEUE.enqueue(job), 202);
  })
  .get("/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const job = await c.env.DB.getJob(id);
    if (!job) throw new ApiError(404, "job_not_found", `no job with id "${id}"`);
    return c.json(job);
  })
  .post("/emails", async (c) => {
    const email = await readJson(c, SendEmailBody);
    return c.json(await c.env.EMAIL.send(email));
  })
  .post("/mcp", (c) => forward(c, c.env.MCP, "/mcp"));
