import { exports } from "cloudflare:workers";

export interface ErrorBody {
  error: { code: string; message: string };
}

export function request(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`https://gateway${path}`, init);
}

export function postJson(path: string, body: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return request(path, { method: "POST", headers, body: text });
}

export async function errorOf(res: Response): Promise<ErrorBody["error"]> {
  return (await res.json<ErrorBody>()).error;
}
