import type * as z from "zod";

/**
 * Thrown from RPC methods. Workers RPC keeps `name`, `message` and own properties of thrown
 * errors, so callers can answer with `status` and `{error: {code, message}}` unchanged.
 */
export class ServiceError extends Error {
  override name = "ServiceError";
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** `at` names where `input` sits in a larger input, so a message reads `data.jobId: ...`. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  at?: string,
): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues
    .map((issue) => {
      const path = [...(at ? [at] : []), ...issue.path.map(String)].join(".");
      return `${path || "input"}: ${issue.message}`;
    })
    .join("; ");
  throw new ServiceError("invalid_input", `invalid input: ${detail}`, 400);
}
