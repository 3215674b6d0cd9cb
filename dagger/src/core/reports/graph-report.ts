import type { ServiceGraph } from "../graph.js";

export function renderGraph(graph: ServiceGraph, waves: string[][]): string {
  const lines = [`service graph (${graph.target}):`];
  for (const service of graph.services) {
    const edges = graph.edges
      .filter((edge) => edge.from === service)
      .map((edge) => `${edge.to} (${edge.kinds.join("+")})`);
    lines.push(`  ${service} -> ${edges.length > 0 ? edges.join(", ") : "(nothing)"}`);
  }
  lines.push("deploy waves:");
  waves.forEach((wave, index) => {
    lines.push(`  ${index + 1}. ${wave.join(", ")}`);
  });
  return lines.join("\n");
}
