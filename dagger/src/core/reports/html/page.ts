import { escapeHtml, scriptJson } from "./markup.js";

/** One chart: a canvas the bundled library draws from a Chart.js configuration. */
export interface ChartSpec {
  /** The canvas element's id. */
  canvas: string;
  /** A Chart.js configuration, JSON only (no callbacks); `options.plugins.bands` shades ranges. */
  config: unknown;
}

/** A timeline's axes (the ci steps', the deploy waves'): horizontal bars over seconds since the run started. */
export const TIMELINE_OPTIONS = {
  indexAxis: "y",
  plugins: { legend: { display: false } },
  scales: {
    x: {
      type: "linear",
      min: 0,
      title: { display: true, text: "seconds since the run started" },
    },
    y: { ticks: { autoSkip: false } },
  },
};

export interface PageInput {
  title: string;
  /** The body's markup, built by this module's renderers (already escaped). */
  body: string;
  charts: ChartSpec[];
  /**
   * The chart library's browser bundle (Chart.js's UMD build), inlined so the file works
   * offline. The runner reads it from its node_modules; without it the page shows the tables.
   */
  chartLibrary?: string;
  /** Dashboard only: a server-sent events URL whose `update` events reload the page. */
  liveEventsUrl?: string;
}

// Charts are drawn once, without animation: a report is read, not watched, and screenshots
// and browser tests see the final picture at once.
const CHART_SCRIPT = `(() => {
  if (typeof Chart === "undefined") return;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.register({
    id: "bands",
    beforeDraw(chart, _args, options) {
      const ranges = options && options.ranges;
      if (!ranges) return;
      const { ctx, chartArea, scales } = chart;
      const scale = scales[options.axis || "y"];
      ctx.save();
      for (const range of ranges) {
        const top = Math.max(chartArea.top, Math.min(scale.getPixelForValue(range.from), scale.getPixelForValue(range.to)));
        const bottom = Math.min(chartArea.bottom, Math.max(scale.getPixelForValue(range.from), scale.getPixelForValue(range.to)));
        if (bottom <= top) continue;
        ctx.fillStyle = range.color;
        ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
        // A band too thin for its name is still named in the bands table.
        if (bottom - top < 14) continue;
        ctx.fillStyle = "#333";
        ctx.font = "11px system-ui, sans-serif";
        ctx.textAlign = "right";
        ctx.fillText(range.label, chartArea.right - 4, top + 12);
      }
      ctx.restore();
    },
  });
  const specs = JSON.parse(document.getElementById("chart-specs").textContent);
  for (const spec of specs) new Chart(document.getElementById(spec.canvas), spec.config);
})();`;

const STYLE = `
:root { color-scheme: light; --fail: #D55E00; --pass: #0072B2; --muted: #555; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem; color: #111; }
h1 { font-size: 1.5rem; margin: 0.2rem 0; } h2 { font-size: 1.2rem; margin-top: 1.6rem; }
.verdict { font-weight: 600; padding: 0.4rem 0.6rem; border-left: 6px solid var(--pass); background: #eef5fb; }
.verdict.failed { border-color: var(--fail); background: #fbeee6; }
.verdict.running, .verdict.stopped { border-color: #E69F00; background: #fdf5e6; }
.meta { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5rem 0; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; }
.status { white-space: nowrap; font-weight: 600; }
.status.failed, .status.fail { color: var(--fail); }
figure { margin: 1rem 0; } figcaption { color: var(--muted); margin-bottom: 0.3rem; }
.chart { position: relative; width: 100%; }
details { margin: 0.3rem 0; } summary { cursor: pointer; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; max-height: 24rem; font-size: 12px; }
nav a { margin-right: 1rem; }
`;

/**
 * A complete, self-contained HTML document: styles, data and the chart library are inline, and
 * the Content-Security-Policy forbids every fetch, so the file makes no network request even if
 * a value in it looked like a URL.
 */
export function renderPage(input: PageInput): string {
  const connect = input.liveEventsUrl === undefined ? "'none'" : "'self'";
  const csp = `default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src ${connect}`;
  const live =
    input.liveEventsUrl === undefined
      ? ""
      : `<script>new EventSource(${scriptJson(input.liveEventsUrl)}).addEventListener("update", () => location.reload());</script>`;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head><body>",
    input.body,
    `<script type="application/json" id="chart-specs">${scriptJson(input.charts)}</script>`,
    // A library bundle is plain script text; only a literal closing tag inside it could end
    // the element early.
    input.chartLibrary === undefined || input.charts.length === 0
      ? ""
      : `<script>${input.chartLibrary.replaceAll("</script", "<\\/script")}</script>`,
    input.charts.length === 0 ? "" : `<script>${CHART_SCRIPT}</script>`,
    live,
    "</body></html>",
    "",
  ].join("\n");
}

/** A chart's figure: a caption, the canvas (named for screen readers) and its table alternative. */
export function chartFigure(
  canvas: string,
  caption: string,
  heightPx: number,
  alternative: string,
): string {
  return [
    "<figure>",
    `<figcaption>${escapeHtml(caption)} (the table below holds the same data)</figcaption>`,
    `<div class="chart" style="height:${heightPx}px"><canvas id="${escapeHtml(canvas)}" role="img" aria-label="${escapeHtml(caption)}"></canvas></div>`,
    `<div class="scroll">${alternative}</div>`,
    "</figure>",
  ].join("\n");
}
