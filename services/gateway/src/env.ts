import type AuthService from "@workers/auth";
import type DbService from "@workers/db";
import type EmailService from "@workers/email";
import type McpService from "@workers/mcp";
import type QueueService from "@workers/queue";
import type ScheduleService from "@workers/schedule";
import type WebhooksService from "@workers/webhooks";
import type { RequestIdVariables } from "hono/request-id";

export interface Env {
  AUTH: Service<AuthService>;
  DB: Service<DbService>;
  QUEUE: Service<QueueService>;
  EMAIL: Service<EmailService>;
  WEBHOOKS: Service<WebhooksService>;
  MCP: Service<McpService>;
  SCHEDULE: Service<ScheduleService>;
  ADMIN_TOKEN?: string;
  VERSION?: WorkerVersionMetadata;
}

export interface AppEnv {
  Bindings: Env;
  Variables: RequestIdVariables & { apiKeyId?: string };
}
