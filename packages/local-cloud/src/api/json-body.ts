import type * as z from "zod";
import { ApiError, ErrorCode } from "./envelope.js";

/** A route's JSON body checked against `schema`; anything else is the API's 400. */
export async function jsonBody<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await request.json();
  } catch {
    throw new ApiError(400, ErrorCode.badRequest, "the request body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(400, ErrorCode.badRequest, `invalid request body: ${parsed.error.message}`);
  }
  return parsed.data;
}
