// The Cloudflare API v4 envelope. Every answer, success or failure, uses it, because wrangler
// reads `errors[0].code`/`message` to decide what to print and which exit code to return.

export interface ApiMessage {
  code: number;
  message: string;
  /** The causes Cloudflare chains under a general error (e.g. which query parameter was bad). */
  error_chain?: ApiMessage[];
}

/** A list answer's page, as `result_info` carries it (pagination.ts fills it). */
export interface ResultInfo {
  page: number;
  per_page: number;
  /** Items on this page. */
  count: number;
  total_count: number;
  total_pages: number;
}

export interface Envelope<T> {
  success: boolean;
  errors: ApiMessage[];
  messages: ApiMessage[];
  result: T | null;
  /** Paged lists only (see pagination.ts). */
  result_info?: ResultInfo;
}

/** A failure that maps to an API error answer (HTTP status + Cloudflare error code). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly chain: ApiMessage[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function ok<T>(result: T, resultInfo?: ResultInfo): Envelope<T> {
  return {
    success: true,
    errors: [],
    messages: [],
    result,
    ...(resultInfo && { result_info: resultInfo }),
  };
}

export function failure(code: number, message: string, chain: ApiMessage[] = []): Envelope<null> {
  const error = { code, message, ...(chain.length > 0 && { error_chain: chain }) };
  return { success: false, errors: [error], messages: [], result: null };
}

// Codes the real API returns in the same situations: wrangler branches on some of them
// (10007/10090 mean "this worker does not exist yet", which is how it detects a first deploy).
export const ErrorCode = {
  badRequest: 10001,
  workerNotFound: 10007,
  startupFailed: 10021,
  serviceNotFound: 10090,
  bindingTargetMissing: 10143,
  versionNotDeployed: 10215,
  routeNotImplemented: 7003,
  accountNotFound: 9109,
  resourceNotFound: 10000,
  // wrangler creates an R2 bucket a binding names when a lookup fails with this code.
  bucketNotFound: 10006,
  authentication: 10000,
  internal: 10013,
  scheduledFailed: 10013,
} as const;
