import type { Container, Secret } from "@dagger.io/dagger";
import {
  CLOUDFLARE_API_BASE_URL,
  type CloudflareApi,
  type HttpClient,
  type HttpResponse,
  parseWranglerOutput,
  type ServiceInfo,
  WRANGLER_OUTPUT_ENV,
  type WranglerRun,
} from "../core/index.js";
import { runOnce } from "./exec-outcome.js";
import { WORKDIR } from "./toolchain.js";

const WRANGLER_OUTPUT_FILE = "/tmp/wrangler-output.ndjson";
const HTTP_REQUEST_FILE = "/tmp/http-request.json";

/**
 * The Cloudflare API as the module's process knows it: the token and account are placeholders,
 * which only the container sending a request replaces, from its secret variables. The values
 * never become plaintext in the module's process, its logs or its cache keys.
 */
export const CONTAINER_CLOUDFLARE_API: CloudflareApi = {
  baseUrl: CLOUDFLARE_API_BASE_URL,
  token: "__CLOUDFLARE_API_TOKEN__",
  accountId: "__CLOUDFLARE_ACCOUNT_ID__",
};

/**
 * Sends the request in the file named by its argument, after replacing the placeholders (in the
 * URL encoded as a path segment), and prints `{status, headers, body}` or `{error}` as JSON: any
 * HTTP status is an answer, a network error or timeout is not.
 */
export const SEND_REQUEST_SCRIPT = `
const request = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
const fill = (text, encode) => text
  .replaceAll(${JSON.stringify(CONTAINER_CLOUDFLARE_API.token)}, encode(process.env.CLOUDFLARE_API_TOKEN ?? ""))
  .replaceAll(${JSON.stringify(CONTAINER_CLOUDFLARE_API.accountId)}, encode(process.env.CLOUDFLARE_ACCOUNT_ID ?? ""));
const asIs = (value) => value;
fetch(fill(request.url, encodeURIComponent), {
  method: request.method,
  headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, fill(value, asIs)])),
  body: request.body === undefined ? undefined : fill(request.body, asIs),
  signal: AbortSignal.timeout(request.timeoutMs),
  redirect: "manual",
})
  .then(async (response) => console.log(JSON.stringify({
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  })))
  .catch((error) => console.log(JSON.stringify({ error: String(error?.cause?.message ?? error?.message ?? error) })));
`;

/**
 * The installed workspace with the Cloudflare credentials as secret variables: never argv,
 * never withEnvVariable, so they stay out of the engine's cache keys, logs and traces.
 */
export function wranglerContainer(
  workspace: Container,
  token: Secret,
  accountId: Secret,
): Container {
  return workspace
    .withSecretVariable("CLOUDFLARE_API_TOKEN", token)
    .withSecretVariable("CLOUDFLARE_ACCOUNT_ID", accountId)
    .withEnvVariable("WRANGLER_SEND_METRICS", "false");
}

/**
 * The core's two deploy ports in containers holding the credentials: wrangler in a service's
 * folder, and HTTP requests to the Cloudflare API.
 */
export class CloudflareContainers {
  private calls = 0;

  constructor(private readonly credentialed: Container) {}

  /**
   * A container built lazily for one side-effecting call. Each is distinct, so the engine never
   * answers one from the cache of another.
   */
  private call(): Container {
    this.calls += 1;
    return this.credentialed.withEnvVariable("DEPLOY_CALL", `${Date.now()}-${this.calls}`);
  }

  wranglerCommand(service: ServiceInfo, args: string[]): Container {
    return this.call()
      .withNewFile(WRANGLER_OUTPUT_FILE, "")
      .withEnvVariable(WRANGLER_OUTPUT_ENV, WRANGLER_OUTPUT_FILE)
      .withWorkdir(`${WORKDIR}/${service.dir}`)
      .withExec(["pnpm", "exec", "wrangler", ...args]);
  }

  /** One wrangler call, run once, read like the host reads its own. */
  async wrangler(service: ServiceInfo, args: string[]): Promise<WranglerRun> {
    const { file, ...outcome } = await runOnce(
      this.wranglerCommand(service, args),
      WRANGLER_OUTPUT_FILE,
    );
    // A failed call leaves no container to read the output file from; wrangler's
    // `command-failed` record only repeats the headline its stderr already has.
    return { ...outcome, records: parseWranglerOutput(file ?? "") };
  }

  requestCommand(request: Parameters<HttpClient["request"]>[0]): Container {
    return this.call()
      .withNewFile(HTTP_REQUEST_FILE, JSON.stringify(request))
      .withExec(["node", "-e", SEND_REQUEST_SCRIPT, HTTP_REQUEST_FILE]);
  }

  /** The core's HttpClient, each request sent once from a credentialed container. */
  readonly http: HttpClient = {
    request: async (request) => {
      const sent = await runOnce(this.requestCommand(request));
      if (sent.exitCode !== 0) {
        throw new Error(`the request container failed: ${sent.stderr.trim().split("\n").at(-1)}`);
      }
      const answer = JSON.parse(sent.stdout) as HttpResponse | { error: string };
      if ("error" in answer) throw new Error(answer.error);
      return answer;
    },
  };
}
