import { describe, expect, it } from "vitest";
import { deployedVersion, type WranglerRun } from "#core";

const run = (stdout: string, records: WranglerRun["records"] = []): WranglerRun => ({
  exitCode: 0,
  stdout,
  stderr: "",
  records,
});

describe("the version a wrangler deploy made", () => {
  it("comes from the deploy record of wrangler 4's output file", () => {
    const records = [
      {
        type: "deploy",
        version_id: "6f7b6476-a12f-4434-a210-6a7f21cb3ea1",
        targets: ["https://a"],
      },
    ];
    expect(deployedVersion(run("", records))).toEqual({
      versionId: "6f7b6476-a12f-4434-a210-6a7f21cb3ea1",
      urls: ["https://a"],
    });
  });

  it("comes from what wrangler 3, pinned by a repository, prints, when it writes no record", () => {
    const stdout = [
      "Total Upload: 1.40 KiB / gzip: 0.66 KiB",
      "Uploaded worker-template (1.21 sec)",
      "Published worker-template (0.31 sec)",
      "  https://worker-template.local.workers.dev",
      "Current Deployment ID: 0b2c5d1e-7f3a-4c9b-8e6d-1a2b3c4d5e6f",
      "Current Version ID: ffc7f4c0-06ec-45b5-92b5-dd8a696707e0",
    ].join("\n");
    expect(deployedVersion(run(stdout))).toEqual({
      versionId: "ffc7f4c0-06ec-45b5-92b5-dd8a696707e0",
      urls: ["https://worker-template.local.workers.dev"],
    });
    expect(deployedVersion(run("Uploaded worker-template (1.21 sec)"))).toBeUndefined();
  });
});
