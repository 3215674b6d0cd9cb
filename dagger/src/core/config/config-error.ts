import type * as z from "zod";

/** A service config that cannot be used; the message names the file, the field and the fix. */
export class ServiceConfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
  ) {
    super(field === "" ? `${file}: ${expected}` : `${file}: ${field}: ${expected}`);
    this.name = "ServiceConfigError";
  }
}

export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`,
    )
    .join("");
}

/** Validates `value` with `schema`, reporting the first problem as a ServiceConfigError. */
export function parseConfig<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const result = schema.safeParse(value);
  if (result.success) {
    return result.data;
  }
  const [issue] = result.error.issues;
  if (issue?.code === "unrecognized_keys") {
    // Name the misspelt key itself, not the object holding it.
    throw new ServiceConfigError(
      file,
      fieldPath([...issue.path, issue.keys[0] ?? ""]),
      "unknown key (misspelt?)",
    );
  }
  throw new ServiceConfigError(file, fieldPath(issue?.path ?? []), issue?.message ?? "invalid");
}
