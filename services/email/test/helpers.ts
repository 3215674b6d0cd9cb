import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import EmailService from "../src/index";

export const uniqueAddress = (local = "user") => `${local}-${crypto.randomUUID()}@example.com`;

/** The real entrypoint with some variables changed, as another deployment would configure it. */
export function emailWith(vars: Partial<Cloudflare.Env>): EmailService {
  return new EmailService(createExecutionContext(), { ...env, ...vars });
}

export async function outboxFor(to: string): Promise<Record<string, unknown>[]> {
  const { results } = await env.TEST_DB.prepare("SELECT * FROM email_outbox WHERE recipient = ?")
    .bind(to)
    .all<Record<string, unknown>>();
  return results;
}

export async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number; message: string }> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: { code: string; status: number; message: string }) => error,
  );
}
