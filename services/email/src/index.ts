import { WorkerEntrypoint } from "cloudflare:workers";
import { parseInput, ServiceError } from "@workers/db/errors";
import { healthResponse, jsonError } from "@workers/http";
import { loadConfig } from "./config";
import type { Env } from "./env";
import { SendEmail, type SendEmailInput } from "./schemas";
import { renderTemplate } from "./templates";

export type { Env } from "./env";
export type { SendEmailInput } from "./schemas";
export type { TemplateName } from "./templates";

export default class EmailService extends WorkerEntrypoint<Env> {
  /**
   * Renders, records the message in the outbox as pending, delivers it and marks it sent. A
   * failed delivery leaves the pending row and rejects, so a caller can retry with the same id:
   * a pending email is delivered again, a sent one is not.
   */
  async send(input: SendEmailInput): Promise<{ id: string; status: "sent" }> {
    const { to, template, data, id = crypto.randomUUID() } = parseInput(SendEmail, input);
    const { subject, body } = renderTemplate(template, data);
    const { from, transport } = loadConfig(this.env);
    const existing = await this.env.DB.getOutboxEmail(id);
    if (
      existing &&
      (existing.to !== to || existing.subject !== subject || existing.body !== body)
    ) {
      throw new ServiceError(
        "conflict",
        `email ${id} was already recorded with other content`,
        409,
      );
    }
    if (existing?.status === "sent") return { id, status: "sent" };
    if (!existing) await this.env.DB.insertOutboxEmail({ id, to, template, subject, body });
    const providerMessageId = await transport.deliver({ id, from, to, subject, body });
    await this.env.DB.markEmailSent(id, providerMessageId);
    return { id, status: "sent" };
  }

  override async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname !== "/health") return jsonError(404, "not_found", `no route for ${pathname}`);
    if (request.method !== "GET") {
      return jsonError(405, "method_not_allowed", "use GET for /health");
    }
    try {
      const { transport } = loadConfig(this.env);
      return healthResponse("email", this.env.VERSION, "ok", { transport: transport.name });
    } catch (error) {
      const message = error instanceof ServiceError ? error.message : "unknown error";
      return healthResponse("email", this.env.VERSION, "degraded", { message });
    }
  }
}
