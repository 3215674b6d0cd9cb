import { appendFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ensureLocalCloud } from "@workers/local-cloud";
import {
  parseSince,
  renderDoraJson,
  renderDoraMarkdown,
  renderDoraText,
  runDora,
  servicesIn,
} from "#core";
import type { CommandRunner } from "../command-spec.js";
import { doraPorts } from "../deploy/dora-ports.js";
import { requireEnvFlag } from "../env-flag.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import type { dora as spec } from "./registry.js";

export const command: CommandRunner<typeof spec.options> = {
  async run(flags, context) {
    // Bad input fails before anything is read.
    const since = parseSince(flags.since);
    const { root, catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo));
    const target = requireEnvFlag(catalog, flags.env);
    const ports = await doraPorts(root, target, context.env, () => ensureLocalCloud(root));
    const report = await runDora(ports, servicesIn(catalog, target), target, since);
    context.stdout(renderDoraText(report));
    if (flags.json) {
      await writeFile(resolve(context.cwd, flags.json), renderDoraJson(report));
    }
    if (flags.summary) {
      await writeFile(resolve(context.cwd, flags.summary), renderDoraMarkdown(report));
    }
    if (context.env.GITHUB_STEP_SUMMARY) {
      await appendFile(context.env.GITHUB_STEP_SUMMARY, renderDoraMarkdown(report));
    }
    return 0;
  },
};
