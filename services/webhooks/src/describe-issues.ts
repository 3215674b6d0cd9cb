import type * as z from "zod";

/** One line naming every field that was wrong, for a 400 body; `at` names what was checked. */
export function describeIssues(error: z.ZodError, at: string): string {
  return error.issues.map((i) => `${[at, ...i.path].join(".")}: ${i.message}`).join("; ");
}
