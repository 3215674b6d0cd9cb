import type { CommandEntry } from "../command-spec.js";
import { affected } from "./affected.js";
import { cache } from "./cache.js";
import { ci } from "./ci.js";
import { coverage } from "./coverage.js";
import { dashboard } from "./dashboard.js";
import { deploy } from "./deploy.js";
import { dora } from "./dora.js";
import { graph } from "./graph.js";
import { integration } from "./integration.js";
import { lint } from "./lint.js";
import { local } from "./local.js";
import { recover } from "./recover.js";
import { release } from "./release.js";
import { rollback } from "./rollback.js";
import { test } from "./test.js";
import { typecheck } from "./typecheck.js";

/**
 * Every `pnpm run pipeline <name>` command, in the order `--help` lists them. Each command's
 * file holds its options, examples and handler; adding a command is its file plus a line here.
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  ci,
  typecheck,
  lint,
  test,
  integration,
  coverage,
  affected,
  graph,
  local,
  deploy,
  rollback,
  recover,
  release,
  dora,
  cache,
  dashboard,
};
