import { describe, expect, it } from "vitest";
import {
  type ChangeProbe,
  chooseServices,
  discoverServices,
  leaveOutUndeployable,
  NoServicesChosenError,
  namedServices,
  type SelectionPorts,
  type ServiceCatalog,
} from "#core";
import { fsRepoReader } from "../../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../../pipeline/host/git-change-probe.js";
import { service } from "../../helpers/fakes.js";
import { commitFiles, fixtureRepo } from "../../helpers/fixture-repo.js";

/** Ports that fail the test if the selection asks what it should not need. */
function unreachable(): SelectionPorts {
  return {
    changeProbe: (): ChangeProbe => {
      throw new Error("git was asked");
    },
    histories: () => Promise.reject(new Error("the deployments were read")),
    note: () => undefined,
  };
}

describe("choosing the services to deploy (both runners)", () => {
  let catalog: ServiceCatalog;
  let repo: string;

  it("takes names, comma lists and all, asking neither git nor Cloudflare", async () => {
    repo = await fixtureRepo();
    catalog = await discoverServices(fsRepoReader(repo));
    expect(
      await chooseServices(catalog, { services: ["db, auth", "gateway"] }, unreachable()),
    ).toEqual({ names: ["db", "auth", "gateway"], selection: "--service db,auth,gateway" });
    expect(await chooseServices(catalog, { services: ["all"] }, unreachable())).toEqual({
      names: ["auth", "db", "email", "gateway"],
      selection: "all services",
    });
  });

  it("refuses a selection of nothing, naming the services", async () => {
    repo = await fixtureRepo();
    catalog = await discoverServices(fsRepoReader(repo));
    const none = chooseServices(catalog, { services: [""], base: "" }, unreachable());
    await expect(none).rejects.toThrow(NoServicesChosenError);
    await expect(none).rejects.toThrow(
      "--service <name|all> or --base <ref|deployed> is required; services: auth, db, email, gateway",
    );
  });

  it("adds what changed since --base to the named services", async () => {
    repo = await fixtureRepo();
    catalog = await discoverServices(fsRepoReader(repo));
    await commitFiles(repo, { "services/gateway/src/extra.ts": "export const extra = 1;\n" });
    const chosen = await chooseServices(
      catalog,
      { services: ["db"], base: "HEAD~1" },
      { ...unreachable(), changeProbe: () => gitChangeProbe(repo) },
    );
    expect(chosen).toEqual({
      names: ["db", "gateway"],
      selection: "--service db + affected since HEAD~1",
    });
  });

  it("releases every service when none or all are named", async () => {
    repo = await fixtureRepo();
    catalog = await discoverServices(fsRepoReader(repo));
    expect(namedServices(catalog, []).selection).toBe("all services");
    expect(namedServices(catalog, ["auth,db"])).toEqual({
      names: ["auth", "db"],
      selection: "--service auth,db",
    });
  });

  it("leaves out, one line each, what all or --base chose that cannot deploy the target", async () => {
    const unnamed = {
      ...service("api"),
      targets: ["@local"],
      leftOut: { staging: "api: no name" },
    };
    const named = { ...service("site"), targets: ["@local"] };
    const withLeftOut = {
      ...(await discoverServices(fsRepoReader(await fixtureRepo()))),
      services: [service("db"), unnamed, named],
    };
    const lines: string[] = [];
    const chosen = leaveOutUndeployable(
      withLeftOut,
      "staging",
      { names: ["db", "api", "site"], selection: "--service site + affected since HEAD~1" },
      { services: ["site"] },
      (line) => lines.push(line),
    );
    expect(chosen.names).toEqual(["db", "site"]);
    expect(lines).toEqual(["api: left out of staging: api: no name"]);
  });
});
