import type { HttpClient, HttpRequest, ServiceInfo, WranglerRun } from "#core";

/**
 * Cloudflare at the deploy stack's two ports (wrangler and the API), recording every call in
 * the order made: what the parity tests compare between the host and Dagger adapters. Each
 * Worker keeps the versions its deployments served; `deploy` adds one, a rollback deployment
 * serves an earlier one again. Credentials in a call are written as `<token>` and `<account>`,
 * so adapters that carry them differently (values, or placeholders a container fills in) record
 * the same call.
 */
export class RecordingCloudflare {
  readonly calls: string[] = [];
  private readonly served = new Map<string, string[]>();
  private counter = 0;
  /** Called as each `wrangler deploy` starts, e.g. to interrupt the run right then. */
  onDeploy: (service: string) => void = () => undefined;

  constructor(private readonly credentials: Record<string, string>) {}

  /** A version the Worker served before the run, after any seeded earlier. */
  seed(worker: string, version: string): void {
    this.served.set(worker, [...(this.served.get(worker) ?? []), version]);
  }

  serving(worker: string): string | undefined {
    return this.served.get(worker)?.at(-1);
  }

  private normalise(text: string): string {
    return Object.entries(this.credentials).reduce(
      (result, [value, name]) => result.replaceAll(value, name),
      text,
    );
  }

  wrangler = async (service: ServiceInfo, args: string[]): Promise<WranglerRun> => {
    this.calls.push(this.normalise(`${service.dir}$ wrangler ${args.join(" ")}`));
    const done = { exitCode: 0, stdout: "", stderr: "", records: [] };
    if (args[0] !== "deploy") return done;
    this.onDeploy(service.name);
    const worker = service.workerNames.production ?? service.name;
    const version = `${worker}-v${++this.counter}`;
    this.served.set(worker, [...(this.served.get(worker) ?? []), version]);
    return {
      ...done,
      records: [
        {
          type: "deploy",
          version_id: version,
          targets: [`https://${service.name}.example.workers.dev`],
        },
      ],
    };
  };

  readonly http: HttpClient = {
    request: async (request: HttpRequest) => {
      this.calls.push(
        this.normalise(
          `${request.method} ${request.url} ${request.headers.authorization ?? ""} ${request.body ?? ""}`.trim(),
        ),
      );
      const worker = /\/workers\/scripts\/([^/]+)\/deployments/.exec(request.url)?.[1];
      if (worker === undefined) return envelope(404, false, undefined);
      if (request.method === "GET") {
        const deployments = (this.served.get(worker) ?? []).map((version, index) => ({
          created_on: new Date(Date.UTC(2026, 10, 1, 0, index)).toISOString(),
          versions: [{ version_id: version, percentage: 100 }],
        }));
        return envelope(200, true, { deployments });
      }
      const body = JSON.parse(request.body ?? "{}") as { versions?: { version_id: string }[] };
      const version = body.versions?.[0]?.version_id;
      if (version !== undefined) {
        this.served.set(worker, [...(this.served.get(worker) ?? []), version]);
      }
      return envelope(200, true, { id: `deployment-${this.calls.length}` });
    },
  };
}

function envelope(status: number, success: boolean, result: unknown) {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ success, errors: [], messages: [], result }),
  };
}
