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
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { doraPorts } from "../deploy/dora-ports.js";
import { requireEnvFlag } from "../env-flag.js";
import { recordDoraReport } from "../host/record-report.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { ENV, REPO, REPORT_FILES } from "./options.js";

const spec = {
  summary:
    "DORA metrics of an environment from its deployment history and git, each with its DORA band",
  options: {
    env: { ...ENV, description: "whose deployments to read (required)" },
    since: {
      value: "<window>",
      default: "30d",
      description: "how far back from now: <n>h, <n>d or <n>w",
    },
    ...REPO,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline dora --env production",
    "pnpm run pipeline dora --env @local --since 7d --summary dora.md",
  ],
} as const satisfies CommandSpec;

export const dora = defineCommand(spec, {
  async run(flags, context) {
    // Bad input fails before anything is read.
    const since = parseSince(flags.since);
    const { root, catalog } = await loadWorkspace(
      workspaceCwd(context.cwd, flags.repo),
      context.env,
    );
    const target = requireEnvFlag(catalog, flags.env);
    const ports = await doraPorts(root, target, context.env, () => ensureLocalCloud(root));
    const report = await runDora(ports, servicesIn(catalog, target), target, since);
    context.stdout(renderDoraText(report));
    const htmlReport = await recordDoraReport(root, report, context);
    if (flags.json) {
      await writeFile(
        resolve(context.cwd, flags.json),
        htmlReport
          ? `${JSON.stringify({ ...report, htmlReport }, null, 2)}\n`
          : renderDoraJson(report),
      );
    }
    if (flags.summary) {
      await writeFile(resolve(context.cwd, flags.summary), renderDoraMarkdown(report));
    }
    if (context.env.GITHUB_STEP_SUMMARY) {
      await appendFile(context.env.GITHUB_STEP_SUMMARY, renderDoraMarkdown(report));
    }
    if (htmlReport) {
      context.stdout(`HTML report: ${htmlReport}`);
    }
    return 0;
  },
});
