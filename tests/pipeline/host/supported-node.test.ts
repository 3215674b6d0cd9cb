import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MINIMUM_NODE, unsupportedNode } from "../../../pipeline/host/supported-node.mjs";
import { REPO_ROOT } from "../../helpers/paths.js";

describe("the Node versions the launcher accepts", () => {
  it("is the range package.json's engines field declares", async () => {
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8"));
    expect(manifest.engines.node).toBe(`>=${MINIMUM_NODE}`);
  });

  it.each(["v22.12.0", "v22.18.1", "v23.0.0", "v24.21.0", "v30.1.2"])("runs on %s", (version) => {
    expect(unsupportedNode(version)).toBeUndefined();
  });

  it.each(["v20.20.2", "v22.11.9", "v22.9.0", "v18.0.0"])(
    "refuses %s in one line naming it, the minimum and the way in",
    (version) => {
      const message = unsupportedNode(version);
      expect(message).toBe(
        `pipeline: Node ${version} is older than the 22.12.0 it needs; run it as \`pnpm run pipeline\` after \`pnpm install\` (the project's own Node), or put Node 22.12.0 or newer on the PATH`,
      );
    },
  );
});
