import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import { ModulePipeline } from "../../dagger/src/runner/module-pipeline.js";
import { execaExecutor } from "../../pipeline/host/execa-executor.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { gitChangeProbe } from "../../pipeline/host/git-change-probe.js";
import { tinyCiRepo } from "../helpers/tiny-ci-repo.js";
import { operationsOf } from "./helpers/sdk-internals.js";

// `dagger call report` offline: the module's own code runs the ci graph (its steps on the host
// instead of in containers) and returns the File it would hand the engine, read as its query.

describe("dagger call report", () => {
  it("returns report.html holding the core's HTML report of the ci run, a failed run too", async () => {
    const repo = await tinyCiRepo({ failing: "db" });
    const pipeline = new ModulePipeline(dag.host().directory(repo), {
      reader: fsRepoReader(repo),
      changeProbe: () => gitChangeProbe(repo),
      executor: () => execaExecutor(repo),
      log: () => {},
    });
    const file = await pipeline.report();
    const operations = operationsOf(file);
    expect(operations.map((operation) => operation.operation)).toEqual([
      "directory",
      "withNewFile",
      "file",
    ]);
    expect(operations[1]?.args.path).toBe("report.html");
    expect(operations[2]?.args.path).toBe("report.html");
    const html = String(operations[1]?.args.contents);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<h1>dagger call ci</h1>");
    expect(html).toContain('data-state="failed"');
    expect(html).toMatch(/<td>test:db<\/td><td><span class="status failed"/);
    expect(html).toMatch(/<td>test:api<\/td><td><span class="status passed"/);
  });
});
