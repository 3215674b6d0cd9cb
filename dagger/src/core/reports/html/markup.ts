/** Text made safe for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * JSON for a `<script type="application/json">` block: `<` is escaped so no value (a step log,
 * a failure message) can close the script element early.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

/** A table with a caption; cells are escaped, `html` cells are trusted markup from this module. */
export function htmlTable(
  caption: string,
  header: readonly string[],
  rows: readonly (readonly (string | { html: string })[])[],
  attributes = "",
): string {
  const cell = (value: string | { html: string }) =>
    typeof value === "string" ? escapeHtml(value) : value.html;
  return [
    `<table${attributes}><caption>${escapeHtml(caption)}</caption>`,
    `<thead><tr>${header.map((name) => `<th scope="col">${escapeHtml(name)}</th>`).join("")}</tr></thead>`,
    "<tbody>",
    ...rows.map((row) => `<tr>${row.map((value) => `<td>${cell(value)}</td>`).join("")}</tr>`),
    "</tbody></table>",
  ].join("\n");
}
