import type { AffectedResult } from "../affected.js";

export function renderAffected(result: AffectedResult): string {
  const lines = [...result.warnings];
  if (result.scope === "none") {
    lines.push(
      `nothing affected since ${result.base}${result.changedFiles.length > 0 ? " (only documentation changed)" : " (no changes)"}`,
    );
    return lines.join("\n");
  }
  lines.push(`affected since ${result.base} (${result.scope === "all" ? "everything" : "some"}):`);
  for (const service of result.services) {
    lines.push(`  ${service.name}: ${service.reason}`);
  }
  for (const library of result.libraries) {
    lines.push(`  (library ${library.name}: ${library.reason})`);
  }
  if (result.integration) {
    lines.push(`  (integration tests: ${result.integration})`);
  }
  if (result.tooling) {
    lines.push(`  (pipeline tooling tests: ${result.tooling})`);
  }
  return lines.join("\n");
}
