// Metric charts for the run and compare pages: uPlot over Cairn's bucketing endpoint.
//
// Each <figure class="chart" data-key data-runs> draws one metric for one or more runs (names,
// colours and start times come from the #chart-runs JSON block), and only once it scrolls into
// view. Per run the server answers raw points when they are few, else per bucket the min, max
// and last value: the line is `last`, a faint band spans min..max so a spike is never lost.
// Dragging zooms and refetches the visible range for every run; double-click zooms out.
// The page's .chart-controls choose the x axis (step, wall time, time since the run started),
// a log y scale and EMA smoothing (the raw line stays, faint); they live in the URL too.
const HEIGHT = 240;
const MIN_BUCKETS = 50;
const X_MODES = ["step", "time", "relative"];
const X_LABELS = { step: "Steps", time: "Time", relative: "Relative time" };
const REFETCH_DELAY_MS = 120;

const runsInfo = JSON.parse(document.getElementById("chart-runs")?.textContent || "{}");
const settings = readSettings();

function readSettings() {
  const q = new URLSearchParams(location.search);
  const smooth = Number(q.get("smooth"));
  return {
    x: X_MODES.includes(q.get("x")) ? q.get("x") : "step",
    log: q.get("log") === "1",
    smooth: smooth > 0 && smooth < 1 ? smooth : 0,
  };
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function withAlpha(color, alpha) {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (!hex) return color;
  const n = parseInt(hex[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

const finite = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null); // "Infinity" arrives as a string

function ema(values, weight) {
  // Debiased exponential moving average (as TensorBoard and W&B smooth); gaps stay gaps.
  const out = new Array(values.length);
  let acc = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) { out[i] = null; continue; }
    acc = acc * weight + (1 - weight) * v;
    count++;
    out[i] = acc / (1 - weight ** count);
  }
  return out;
}

function formatSeconds(s) {
  const sign = s < 0 ? "-" : "";
  let rest = Math.abs(s);
  if (rest < 60) return `${sign}${+rest.toFixed(rest < 10 ? 2 : 1)}s`;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const sec = Math.round(rest - m * 60);
  return h ? `${sign}${h}h ${m}m` : `${sign}${m}m ${sec}s`;
}

function formatX(x) {
  if (x === null || x === undefined) return "";
  if (settings.x === "time") return new Date(x * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  if (settings.x === "relative") return formatSeconds(x);
  return String(Math.round(x));
}

const formatValue = (v) => (v === null || v === undefined ? "—" : Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(6)));

class Chart {
  constructor(figure) {
    this.figure = figure;
    this.plot = figure.querySelector(".plot");
    this.status = figure.querySelector(".chart-status");
    this.runs = figure.dataset.runs.split(" ").filter(Boolean).map((id) => ({ id, ...(runsInfo[id] || {}) }));
    this.uplot = null;
    this.pending = 0;
    this.timer = null;
  }

  get width() {
    return Math.max(200, this.plot.clientWidth);
  }

  async fetchRun(run, buckets, range) {
    const query = new URLSearchParams({
      run_id: run.id, key: this.figure.dataset.key, x: settings.x === "step" ? "step" : "timestamp",
      buckets: String(Math.max(MIN_BUCKETS, Math.round(buckets))),
    });
    if (range) {
      query.set("start", String(range[0]));
      query.set("end", String(range[1]));
    }
    // the UI's twin of /api/cairn/v1/metric-series under the run's path (a session cookie opens only UI routes)
    const response = await fetch(`${this.figure.dataset.series}${encodeURIComponent(run.id)}/metric-series?${query}`, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || response.statusText);
    return body;
  }

  // One round: every run of the chart, over the whole series (range null) or a zoomed window.
  async fetchAll(range) {
    const buckets = this.uplot ? this.uplot.width : this.width;
    const bodies = await Promise.all(this.runs.map((run) => this.fetchRun(run, buckets, range && this.toRequest(run, range))));
    this.figure.dataset.fetches = String(Number(this.figure.dataset.fetches || "0") + 1);
    return bodies.map((body, i) => this.toDisplay(this.runs[i], body));
  }

  origin(run, body) {
    if (settings.x !== "relative") return 0;
    if (run.origin === undefined) run.origin = run.start || (body && body.x.length ? body.x[0] : 0);
    return run.origin;
  }

  toDisplay(run, body) {
    const origin = this.origin(run, body);
    const display = settings.x === "step" ? (t) => t : (t) => (t - origin) / 1000;
    return {
      run, raw: body.raw, x: body.x.map(display), start: display(body.start), end: display(body.end),
      last: body.last.map(finite), min: body.min.map(finite), max: body.max.map(finite),
    };
  }

  toRequest(run, [min, max]) {
    if (settings.x === "step") return [Math.floor(min), Math.ceil(max)];
    const origin = this.origin(run, null);
    return [Math.floor(min * 1000 + origin), Math.ceil(max * 1000 + origin)];
  }

  // uPlot's data and series for `parts` (one per run): per run the line, its min and max (a band),
  // and the faint raw line when smoothing. Runs align on one x array (uPlot.join).
  build(parts) {
    const shown = parts.filter((p) => p.x.length);
    let hidden = 0;
    const positive = (values) => values.map((v) => {
      if (settings.log && v !== null && v <= 0) { hidden++; return null; }
      return v;
    });
    const smoothing = settings.smooth > 0;
    const tables = shown.map((p) => {
      const line = smoothing ? ema(p.last, settings.smooth) : p.last;
      const columns = [p.x, positive(line), positive(p.min), positive(p.max)];
      if (smoothing) columns.push(positive(p.last));
      return columns;
    });
    const single = this.runs.length === 1;
    const series = [{ label: X_LABELS[settings.x] }];
    const bands = [];
    for (const p of shown) {
      const color = p.run.color || cssVar("--chart-line");
      const base = series.length;
      const faint = (alpha) => (p.run.color ? withAlpha(color, alpha) : cssVar("--chart-band-edge"));
      series.push({ label: p.run.name || p.run.id, stroke: color, width: 1.5, spanGaps: true });
      series.push({ label: "min", stroke: faint(0.35), width: 1, spanGaps: true, points: { show: false } });
      series.push({ label: "max", stroke: faint(0.35), width: 1, spanGaps: true, points: { show: false } });
      if (smoothing) series.push({ label: "raw", stroke: faint(0.3), width: 1, spanGaps: true, points: { show: false } });
      bands.push({ series: [base + 2, base + 1], fill: p.run.color ? withAlpha(color, single ? 0.18 : 0.1) : cssVar("--chart-band") });
    }
    const data = tables.length ? window.uPlot.join(tables) : [[]];
    return { data, series, bands, hidden, shown };
  }

  describe(parts, built) {
    const shown = built.shown;
    if (!shown.length) {
      this.status.textContent = "No finite values to draw.";
      return;
    }
    // The range asked for (or the series' own), not the x of the first bucket's last point.
    const lo = Math.min(...shown.map((p) => p.start));
    const hi = Math.max(...shown.map((p) => p.end));
    const span = `${X_LABELS[settings.x]} ${formatX(lo)} to ${formatX(hi)}`;
    let shape;
    if (shown.length === 1) {
      const p = shown[0];
      const n = p.x.length;
      shape = p.raw ? `${n} point${n === 1 ? "" : "s"}` : `${n} buckets (min, max and last of each)`;
    } else {
      const bucketed = shown.filter((p) => !p.raw).length;
      const raw = shown.length - bucketed;
      const buckets = "as buckets (min, max and last of each)";
      shape = !bucketed ? `${raw} runs, point by point` : !raw ? `${bucketed} runs ${buckets}`
        : `${shown.length} runs: ${raw} point by point, ${bucketed} ${buckets}`;
    }
    const notes = [];
    const missing = parts.length - shown.length;
    if (missing) notes.push(`${missing} run${missing === 1 ? " has" : "s have"} no finite values here.`);
    if (settings.smooth) notes.push(`Smoothed (EMA ${settings.smooth}); the raw line is drawn faintly.`);
    if (settings.log) notes.push(built.hidden ? `Log scale: ${built.hidden} values ≤ 0 not drawn.` : "Log scale.");
    this.status.textContent = [`${span}: ${shape}.`, ...notes].join(" ");
  }

  async mount() {
    try {
      this.full = await this.fetchAll(null);
    } catch (error) {
      this.status.textContent = `Could not load this chart: ${error.message}`;
      return;
    }
    this.shown = this.full;
    this.asked = "";
    this.draw(null);
    this.figure.dataset.drawn = "true";
    if (!this.resizer) {
      this.resizer = new ResizeObserver(() => this.uplot && this.uplot.setSize({ width: this.width, height: HEIGHT }));
      this.resizer.observe(this.plot);
    }
  }

  // (Re)creates the uPlot from the data at hand: settings that change the picture, not the data.
  draw(zoom) {
    if (this.uplot) { this.uplot.destroy(); this.uplot = null; }
    const built = this.build(this.shown);
    this.describe(this.shown, built);
    this.figure.dataset.scale = settings.log ? "log" : "linear";
    this.figure.dataset.x = settings.x;
    if (!built.shown.length) return;
    this.plotted = built.shown;
    const axis = { stroke: cssVar("--fg-muted"), grid: { stroke: cssVar("--chart-grid") }, ticks: { stroke: cssVar("--chart-grid") } };
    const xAxis = settings.x === "relative" ? { ...axis, values: (u, splits) => splits.map(formatSeconds) } : axis;
    this.uplot = new window.uPlot({
      width: this.width, height: HEIGHT,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"), // the UI shows every time in UTC
      scales: { x: { time: settings.x === "time" }, y: settings.log ? { distr: 3, log: 10 } : {} },
      series: built.series,
      bands: built.bands,
      axes: [xAxis, axis],
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false },
        bind: { dblclick: () => () => { this.zoomOut(); return null; } },
      },
      hooks: {
        setScale: [(u, key) => {
          if (key !== "x") return;
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.refetch(), REFETCH_DELAY_MS);
        }],
        setCursor: [(u) => this.showCursor(u)],
      },
    }, built.data, this.plot);
    if (zoom) this.uplot.setScale("x", zoom);
  }

  fullRange() {
    const present = this.full.filter((p) => p.x.length);
    return [Math.min(...present.map((p) => p.x[0])), Math.max(...present.map((p) => p.x[p.x.length - 1]))];
  }

  zoomOut() {
    this.pending++;
    this.asked = "";
    this.shown = this.full;
    this.draw(null);
  }

  async refetch() {
    const u = this.uplot;
    if (!u) return;
    const { min, max } = u.scales.x;
    const [lo, hi] = this.fullRange();
    if (min <= lo && max >= hi) {
      this.asked = "";
      if (this.shown !== this.full) this.zoomOut();
      return;
    }
    const asked = `${min}:${max}`;
    if (asked === this.asked) return;
    this.asked = asked;
    const ticket = ++this.pending;
    let parts;
    try {
      parts = await this.fetchAll([min, max]);
    } catch (error) {
      this.status.textContent = `Could not load this range: ${error.message}`;
      return;
    }
    if (ticket !== this.pending || u !== this.uplot) return;
    this.shown = parts;
    const built = this.build(parts);
    this.describe(parts, built);
    if (!built.shown.length) return;
    // The same runs keep their series only when each still has points; else redraw from scratch.
    if (built.series.length !== u.series.length) {
      this.draw({ min, max });
      return;
    }
    this.plotted = built.shown;
    u.setData(built.data, false);
    u.setScale("x", { min, max }); // re-fits y to the finer points; same range, so no new fetch
  }

  showCursor(u) {
    const cursorX = this.figure.querySelector(".cursor-x");
    const idx = u.cursor.idx;
    const x = idx === null || idx === undefined ? null : u.data[0][idx];
    if (cursorX) cursorX.textContent = x === null ? "" : `${settings.x === "step" ? "step " : ""}${formatX(x)}`;
    for (const p of this.plotted || []) {
      const cell = this.figure.querySelector(`li[data-run="${p.run.id}"] .value`);
      if (!cell) continue;
      if (x === null) { cell.textContent = ""; continue; }
      const i = nearest(p.x, x);
      const line = settings.smooth ? ema(p.last, settings.smooth) : p.last;
      cell.textContent = formatValue(line[i]);
    }
  }
}

function nearest(xs, x) {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x) ? lo - 1 : lo;
}

const mounted = [];
const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    observer.unobserve(entry.target);
    const chart = new Chart(entry.target);
    mounted.push(chart);
    chart.mount();
  }
}, { rootMargin: "200px" });
document.querySelectorAll("figure.chart[data-key]").forEach((figure) => observer.observe(figure));

function applySettings(changed) {
  const q = new URLSearchParams(location.search);
  const put = (name, value, fallback) => (value === fallback ? q.delete(name) : q.set(name, String(value)));
  put("x", settings.x, "step");
  put("log", settings.log ? 1 : 0, 0);
  put("smooth", settings.smooth, 0);
  const query = q.toString();
  history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  for (const chart of mounted) {
    if (!chart.full) continue;
    if (changed === "x") {
      chart.pending++;
      for (const run of chart.runs) delete run.origin;
      chart.mount();
    } else {
      const zoomed = chart.shown !== chart.full && chart.uplot ? { min: chart.uplot.scales.x.min, max: chart.uplot.scales.x.max } : null;
      chart.draw(zoomed);
    }
  }
}

for (const control of document.querySelectorAll("[data-chart-control]")) {
  const name = control.dataset.chartControl;
  if (name === "log") control.checked = settings.log;
  else control.value = String(settings[name]);
  control.addEventListener("change", () => {
    if (name === "log") settings.log = control.checked;
    else if (name === "smooth") settings.smooth = Number(control.value);
    else settings.x = control.value;
    applySettings(name);
  });
}
