import { describe, expect, it } from "vitest";
import {
  gitCommitTimes,
  LOCAL_TARGET,
  parseDeployments,
  readDeployHistory,
  type ServiceInfo,
  type WranglerRun,
} from "#core";

function serviceInfo(name: string): ServiceInfo {
  return {
    name,
    dir: `services/${name}`,
    packageName: `@workers/${name}`,
    wranglerFile: `services/${name}/wrangler.jsonc`,
    targets: ["@local", "staging", "production"],
    leftOut: {},
    workspaceDependencies: [],
    workerNames: { "@local": name, staging: `${name}-staging`, production: name },
    bindings: { "@local": [], staging: [], production: [] },
    externalBindings: { "@local": [], staging: [], production: [] },
    resources: { "@local": [], staging: [], production: [] },
    healthPath: "/health",
    healthContract: "version",
    scripts: { test: "vitest run --coverage" },
    hasTsconfig: true,
  };
}

const ok = (stdout: unknown): WranglerRun => ({
  exitCode: 0,
  stdout: JSON.stringify(stdout, null, 2),
  stderr: "",
  records: [],
});
const V1 = "00000000-0000-4000-8000-000000000001";
const V2 = "00000000-0000-4000-8000-000000000002";
const deployments = [
  {
    created_on: "2026-11-20T10:00:00Z",
    annotations: { "workers/triggered_by": "upload" },
    versions: [{ version_id: V1, percentage: 100 }],
  },
  {
    created_on: "2026-11-21T10:00:00Z",
    annotations: { "workers/triggered_by": "upload" },
    versions: [{ version_id: V2, percentage: 100 }],
  },
];

/** A wrangler that answers from a table of argv, recording every call. */
function fakeWrangler(answers: Record<string, WranglerRun>) {
  const calls: string[] = [];
  return {
    calls,
    run: async (service: ServiceInfo, args: string[]) => {
      const key = `${service.name}: ${args.join(" ")}`;
      calls.push(key);
      const answer = answers[key];
      if (!answer) throw new Error(`unexpected call ${key}`);
      return answer;
    },
  };
}

describe("reading the deployment history through wrangler", () => {
  it("lists deployments and versions, and views a deployed version the list leaves out", async () => {
    const wrangler = fakeWrangler({
      "db: deployments list --json --env production": ok(deployments),
      "db: versions list --json --env production": ok([
        { id: V2, number: 2, annotations: { "workers/message": "m2" } },
      ]),
      [`db: versions view ${V1} --json --env production`]: ok({
        id: V1,
        number: 1,
        annotations: { "workers/message": "m1" },
      }),
    });
    const [history] = await readDeployHistory(wrangler, [serviceInfo("db")], "production");
    expect(history).toEqual({
      service: "db",
      worker: "db",
      deployments: parseDeployments(JSON.stringify(deployments), "deployments"),
      versions: [
        { id: V2, number: 2, annotations: { "workers/message": "m2" } },
        { id: V1, number: 1, annotations: { "workers/message": "m1" } },
      ],
    });
  });

  it("takes a Worker that was never deployed (API code 10007) as an empty history", async () => {
    const wrangler = fakeWrangler({
      "email: deployments list --json": {
        exitCode: 1,
        stdout: "",
        stderr: "✘ [ERROR] A request to the Cloudflare API failed. [code: 10007]",
        records: [],
      },
    });
    expect(await readDeployHistory(wrangler, [serviceInfo("email")], LOCAL_TARGET)).toEqual([
      { service: "email", worker: "email", deployments: [], versions: [] },
    ]);
    expect(wrangler.calls).toEqual(["email: deployments list --json"]);
  });

  it("fails naming the service and command, with secrets redacted", async () => {
    const wrangler = fakeWrangler({
      "db: deployments list --json --env staging": {
        exitCode: 1,
        stdout: "",
        stderr: "",
        records: [
          { type: "command-failed", code: 10000, message: "Authentication error for tok-123456" },
        ],
      },
    });
    await expect(
      readDeployHistory(
        { ...wrangler, redact: (text) => text.replaceAll("tok-123456", "***") },
        [serviceInfo("db")],
        "staging",
      ),
    ).rejects.toThrow("db: wrangler deployments list failed: Authentication error for ***");
  });

  it("never passes a version id that is not one to wrangler", async () => {
    const wrangler = fakeWrangler({
      "db: deployments list --json --env production": ok([
        {
          created_on: "2026-11-20T10:00:00Z",
          versions: [{ version_id: "--help", percentage: 100 }],
        },
      ]),
      "db: versions list --json --env production": ok([]),
    });
    await readDeployHistory(wrangler, [serviceInfo("db")], "production");
    expect(wrangler.calls).toHaveLength(2);
  });

  it("refuses output that is not the API's JSON, naming the command", async () => {
    const wrangler = fakeWrangler({
      "db: deployments list --json --env production": ok([
        { created_on: "yesterday", versions: [] },
      ]),
    });
    await expect(readDeployHistory(wrangler, [serviceInfo("db")], "production")).rejects.toThrow(
      'db: wrangler deployments list: created_on "yesterday" is not a time',
    );
    expect(() => parseDeployments("Not logged in.", "db: wrangler deployments list")).toThrow(
      "db: wrangler deployments list printed no JSON: Not logged in.",
    );
  });
});

describe("commit times from git", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);

  it("asks git log once for every sha, and reads committer times with their offsets", async () => {
    const argv: string[][] = [];
    const lookup = gitCommitTimes(async (args) => {
      argv.push(args);
      return { exitCode: 0, stdout: `${a} 2026-11-16T09:00:00+01:00\n`, stderr: "" };
    });
    const commits = await lookup([a, b]);
    expect(argv).toEqual([
      ["git", "log", "--no-walk=unsorted", "--ignore-missing", "--format=%H %cI", a, b],
    ]);
    expect(commits).toEqual({ times: new Map([[a, Date.parse("2026-11-16T08:00:00Z")]]) });
  });

  it("does not run git without a sha (git log would show HEAD)", async () => {
    const lookup = gitCommitTimes(async () => {
      throw new Error("git must not run");
    });
    expect(await lookup([])).toEqual({ times: new Map() });
  });

  it("says why when git cannot answer", async () => {
    const lookup = gitCommitTimes(async () => ({
      exitCode: 128,
      stdout: "",
      stderr: "fatal: not a git repository (or any of the parent directories): .git\n",
    }));
    expect(await lookup([a])).toEqual({
      times: new Map(),
      problem:
        "git log could not read commit times: fatal: not a git repository (or any of the parent directories): .git",
    });
  });
});
