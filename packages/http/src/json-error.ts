/** The error body every service answers with: `{error: {code, message}}`, and its status. */
export function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
