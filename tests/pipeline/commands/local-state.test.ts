import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { processStartTime } from "@workers/host-state";
import { CORRUPTIONS } from "@workers/host-state/testing";
import { CloudStore, readRunningState, writeRunningState } from "@workers/local-cloud";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import type { ServiceInfo } from "#core";
import { LOCAL_SECRETS_DIR, localSecretsFile } from "../../../pipeline/deploy/local-secrets.js";
import { tempDir } from "../../helpers/fixture-repo.js";
import { runPipeline } from "../../helpers/in-process-cli.js";
import { REPO_ROOT } from "../../helpers/paths.js";

const repoRoot = REPO_ROOT;
const accountId = "10ca1c10d0000000000000000000c10d";

function pipeline(args: string[]) {
  return runPipeline(args, { cwd: repoRoot, env: process.env });
}

function runningState(stateDir: string, pid: number) {
  return {
    pid,
    port: 8787,
    apiBaseUrl: "http://127.0.0.1:8787/client/v4",
    statusUrl: "http://127.0.0.1:8787/__local-cloud/status",
    accountId,
    startedAt: new Date().toISOString(),
    dataDir: join(stateDir, "data"),
    logFile: join(stateDir, "server.log"),
  };
}

/** A control plane's data dir after two saves: a worker registered, then a queue added. */
async function savedTwice(dataDir: string) {
  const store = await CloudStore.open(dataDir, accountId);
  store.state.databases.d1 = { uuid: "d1", name: "workers-db", created_on: "2026-11-01" };
  await store.save();
  const first = structuredClone(store.state);
  store.state.queues.q1 = {
    queue_id: "q1",
    queue_name: "jobs",
    created_on: "2026-11-02",
    modified_on: "2026-11-02",
    consumers: [],
  };
  await store.save();
  return { first, second: structuredClone(store.state) };
}

describe("state.json (where a running control plane listens)", () => {
  it("is rewritten whole, keeping the previous instance's as state.json.bak", async () => {
    const stateDir = await tempDir();
    await writeRunningState(stateDir, runningState(stateDir, 101));
    await writeRunningState(stateDir, runningState(stateDir, 202));
    expect((await readRunningState(stateDir))?.pid).toBe(202);
    const backup = JSON.parse(await readFile(join(stateDir, "state.json.bak"), "utf8"));
    expect(backup.pid).toBe(101);
  });

  it.each(CORRUPTIONS)(
    "`local status` names a %s state.json in one line and leaves it",
    async (_, damage, detail) => {
      const stateDir = await tempDir();
      await writeRunningState(stateDir, runningState(stateDir, 101));
      const file = join(stateDir, "state.json");
      const damaged = damage(await readFile(file, "utf8"));
      await writeFile(file, damaged);
      const result = await pipeline(["local", "status", "--state-dir", stateDir]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).not.toContain("\n");
      expect(result.stderr.startsWith(`pipeline local status: ${file} is corrupt (`)).toBe(true);
      expect(result.stderr).toMatch(detail);
      expect(result.stderr).toMatch(
        /\): restore it from state\.json\.bak, or stop any control plane process still running and remove it$/,
      );
      expect(await readFile(file, "utf8")).toBe(damaged);
    },
  );
});

describe.runIf(process.platform === "linux")("a state.json left behind by a crash", () => {
  it("is not taken for a running control plane when its pid now belongs to another process", async () => {
    const stateDir = await tempDir();
    const other = execa("sleep", ["30"]);
    try {
      const pid = other.pid ?? 0;
      await writeRunningState(stateDir, {
        ...runningState(stateDir, pid),
        startTime: `${processStartTime(pid)}0`,
      });
      const status = await pipeline(["local", "status", "--state-dir", stateDir]);
      expect(status.stdout).toBe(`local control plane: not running (state in ${stateDir})`);
      expect((await pipeline(["local", "stop", "--state-dir", stateDir])).exitCode).toBe(0);
      // stop removed the stale state.json, and did not signal the process that reuses the pid.
      expect(await readdir(stateDir)).not.toContain("state.json");
      expect(process.kill(pid, 0)).toBe(true);
    } finally {
      other.kill();
      await other.catch(() => undefined);
    }
  });
});

describe("cloud.json (workers, versions, deployments, queues, databases)", () => {
  it("keeps the version each save replaces as cloud.json.bak", async () => {
    const dataDir = join(await tempDir(), "data");
    const { first, second } = await savedTwice(dataDir);
    expect(JSON.parse(await readFile(join(dataDir, "cloud.json"), "utf8"))).toEqual(second);
    expect(JSON.parse(await readFile(join(dataDir, "cloud.json.bak"), "utf8"))).toEqual(first);
  });

  it.each(CORRUPTIONS)(
    "refuses to open a %s cloud.json in one line; restoring the backup brings the state back",
    async (_, damage, detail) => {
      const dataDir = join(await tempDir(), "data");
      const { first } = await savedTwice(dataDir);
      const file = join(dataDir, "cloud.json");
      const damaged = damage(await readFile(file, "utf8"));
      await writeFile(file, damaged);
      const error = await CloudStore.open(dataDir, accountId).catch((e: unknown) => e);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(message.startsWith(`${file} is corrupt (`)).toBe(true);
      expect(message).toMatch(detail);
      expect(
        message.endsWith(
          `): restore it from cloud.json.bak, or remove ${dataDir} to start over (every deployed Worker and its data is lost)`,
        ),
      ).toBe(true);
      expect(await readFile(file, "utf8")).toBe(damaged);
      await cp(join(dataDir, "cloud.json.bak"), file);
      expect((await CloudStore.open(dataDir, accountId)).state).toEqual(first);
    },
  );

  it("`local start` stops at a corrupt cloud.json before starting anything", async () => {
    const stateDir = await tempDir();
    const dataDir = join(stateDir, "data");
    await savedTwice(dataDir);
    const file = join(dataDir, "cloud.json");
    await writeFile(file, '{"accountId": "10ca1c10d0000000000000000000c10d", "subd');
    const result = await pipeline(["local", "start", "--state-dir", stateDir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^pipeline local start: \S+\/data\/cloud\.json is corrupt \(not valid JSON: [^\n]+\): restore it from cloud\.json\.bak, or remove \S+ to start over \(every deployed Worker and its data is lost\)$/,
    );
    // No process was started: it would have written server.log and state.json.
    expect((await readdir(stateDir)).sort()).toEqual(["data"]);
    expect(await readFile(file, "utf8")).toContain('"subd');
  });
});

describe("local secrets (.local-cloud/secrets/<service>.json)", () => {
  async function repoWithSecrets() {
    const repo = await tempDir();
    await mkdir(join(repo, "services/webhooks"), { recursive: true });
    await writeFile(join(repo, "services/webhooks/.dev.vars.example"), "WEBHOOK_SECRET=\n");
    const service = { name: "webhooks", dir: "services/webhooks" } as ServiceInfo;
    return { repo, service, file: join(repo, LOCAL_SECRETS_DIR, "webhooks.json") };
  }

  it("keeps a secret across deploys and the file it replaces as .bak", async () => {
    const { repo, service, file } = await repoWithSecrets();
    expect(await localSecretsFile(repo, service)).toBe(file);
    const secrets = JSON.parse(await readFile(file, "utf8"));
    expect(secrets.WEBHOOK_SECRET).toMatch(/^[0-9a-f]{48}$/);
    await localSecretsFile(repo, service);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(secrets);
    expect(JSON.parse(await readFile(`${file}.bak`, "utf8"))).toEqual(secrets);
  });

  it.each(CORRUPTIONS)(
    "refuses a %s secrets file in one line instead of generating new secrets",
    async (_, damage, detail) => {
      const { repo, service, file } = await repoWithSecrets();
      await localSecretsFile(repo, service);
      const damaged = damage(await readFile(file, "utf8"));
      await writeFile(file, damaged);
      const error = await localSecretsFile(repo, service).catch((e: unknown) => e);
      const message = (error as Error).message;
      expect(message).toMatch(detail);
      expect(message.startsWith(`${file} is corrupt (`)).toBe(true);
      expect(message).toMatch(
        /\): restore it from webhooks\.json\.bak, or remove it to generate new secrets for webhooks$/,
      );
      expect(await readFile(file, "utf8")).toBe(damaged);
    },
  );
});
