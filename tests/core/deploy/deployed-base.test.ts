import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  changedSinceDeployed,
  discoverServices,
  originMessage,
  type ServiceCatalog,
  type ServiceHistory,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../../pipeline/host/git-change-probe.js";
import { commitAll, pushFourCommitsTouchingEmail } from "../../helpers/git-history.js";
import { copyRepo, type TempRepo } from "../../helpers/temp-repo.js";

let repo: TempRepo;
let catalog: ServiceCatalog;
/** The commit every service was deployed from, before the four pushed at once. */
let deployedCommit: string;

const git = (...args: string[]) => execa("git", args, { cwd: repo.root });

/** A service serving one version whose message records `commit` (or nothing). */
function served(service: string, commit?: string): ServiceHistory {
  return {
    service,
    worker: service,
    deployments: [
      {
        createdOn: 1,
        versions: [{ versionId: `${service}-v1`, percentage: 100 }],
        annotations: {},
      },
    ],
    versions: [
      {
        id: `${service}-v1`,
        annotations: commit ? { "workers/message": originMessage({ commit, run: "r1" }) } : {},
      },
    ],
  };
}

beforeAll(async () => {
  repo = await copyRepo();
  await git("init", "-q");
  deployedCommit = await commitAll(repo, "deployed");
  await pushFourCommitsTouchingEmail(repo);
  catalog = await discoverServices(fsRepoReader(repo.root));
});

afterAll(async () => {
  await repo?.dispose();
});

describe("--base deployed", () => {
  it("deploys the union of four commits' changes: email and what binds to it, nothing else", async () => {
    const histories = catalog.services.map((service) => served(service.name, deployedCommit));
    const chosen = await changedSinceDeployed(catalog, histories, gitChangeProbe(repo.root));
    expect(chosen.map((choice) => choice.service)).toEqual([
      "email",
      "gateway",
      "mcp",
      "queue",
      "schedule",
      "webhooks",
    ]);
    expect(chosen.find((choice) => choice.service === "email")?.reason).toMatch(
      new RegExp(`^since ${deployedCommit.slice(0, 12)}: changed: services/email/`),
    );
  });

  it("compares each service with its own commit", async () => {
    const head = (await git("rev-parse", "HEAD")).stdout.trim();
    const histories = catalog.services.map((service) =>
      served(service.name, service.name === "email" ? head : deployedCommit),
    );
    const chosen = await changedSinceDeployed(catalog, histories, gitChangeProbe(repo.root));
    // email already serves HEAD; what binds to it still runs the old commit's code.
    expect(chosen.map((choice) => choice.service)).toEqual([
      "gateway",
      "mcp",
      "queue",
      "schedule",
      "webhooks",
    ]);
  });

  it("deploys, saying why in one line, a service never deployed, without an origin, or from a commit this clone lacks", async () => {
    const head = (await git("rev-parse", "HEAD")).stdout.trim();
    const histories = catalog.services
      .filter((service) => service.name !== "db")
      .map((service) =>
        service.name === "auth"
          ? served("auth")
          : served(service.name, service.name === "email" ? "f".repeat(40) : head),
      );
    const chosen = await changedSinceDeployed(catalog, histories, gitChangeProbe(repo.root));
    expect(chosen).toEqual([
      {
        service: "auth",
        reason:
          "its serving version records no commit (deployed by hand or from uncommitted files)",
      },
      { service: "db", reason: "never deployed here" },
      {
        service: "email",
        reason:
          "its deployed commit ffffffffffff is not in this clone's history (shallow clone or force-push)",
      },
    ]);
  });
});
