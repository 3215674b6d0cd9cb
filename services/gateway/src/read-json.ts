import type { Context } from "hono";
import type * as z from "zod";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";

/** Parses and validates a JSON body; a 400 names every wrong field. */
export async function readJson<S extends z.ZodType>(
  c: Context<AppEnv>,
  schema: S,
): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError(400, "invalid_json", "body is not valid JSON");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
      .join("; ");
    throw new ApiError(400, "invalid_body", detail);
  }
  return parsed.data;
}
