import { readLimitedBody } from "@workers/http";
import { dispatch } from "./dispatch";
import type { Env } from "./env";
import { describeIssues, ErrorCode, failure, RequestSchema } from "./json-rpc";
import { isSupportedProtocolVersion, SUPPORTED_PROTOCOL_VERSIONS } from "./protocol";

/** JSON-RPC messages are small; anything larger is refused. */
const MAX_BODY_BYTES = 64 * 1024;

function rpcErrorResponse(status: number, code: number, message: string): Response {
  return Response.json(failure(null, code, message), { status });
}

/**
 * POST /mcp, the Streamable HTTP transport answering with plain JSON (no SSE stream, no
 * sessions: every tool is a stateless call). Transport-level problems get a 4xx status with a
 * JSON-RPC error body; errors of a well-formed request ride in a 200 response, per JSON-RPC.
 */
export async function handleMcp(request: Request, env: Env): Promise<Response> {
  // After initialize, MCP clients send the negotiated version on every request; one this server
  // never offered means client and server disagree on the protocol, which MCP answers with 400.
  const headerVersion = request.headers.get("mcp-protocol-version");
  if (headerVersion !== null && !isSupportedProtocolVersion(headerVersion)) {
    return rpcErrorResponse(
      400,
      ErrorCode.InvalidRequest,
      `unsupported MCP-Protocol-Version ${JSON.stringify(headerVersion)}; valid: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}`,
    );
  }
  const body = await readLimitedBody(request, MAX_BODY_BYTES);
  if (!body) {
    return rpcErrorResponse(413, ErrorCode.InvalidRequest, `body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  let message: unknown;
  try {
    message = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return rpcErrorResponse(400, ErrorCode.ParseError, "body is not valid JSON");
  }
  if (Array.isArray(message)) {
    return rpcErrorResponse(
      400,
      ErrorCode.InvalidRequest,
      "batches are not supported; send one JSON-RPC message per request",
    );
  }
  const parsed = RequestSchema.safeParse(message);
  if (!parsed.success) {
    return rpcErrorResponse(400, ErrorCode.InvalidRequest, describeIssues(parsed.error));
  }
  // A notification (no id) gets no JSON-RPC response; MCP's HTTP transport answers 202.
  if (!("id" in parsed.data)) return new Response(null, { status: 202 });
  return Response.json(await dispatch(env, parsed.data));
}
