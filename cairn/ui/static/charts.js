// Metric charts on the run page: uPlot over Cairn's downsampling endpoint.
// Each <figure data-key> is drawn when it scrolls into view. The server answers per bucket
// min, max and last value (raw points when few); the line is `last`, the band spans min..max so
// spikes stay visible. Zooming (drag) refetches the visible range; double-click zooms out.
const BUCKETS_PER_PIXEL = 1;
const HEIGHT = 220;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

async function fetchSeries(figure, width, range) {
  const query = new URLSearchParams({
    run_id: figure.dataset.run, key: figure.dataset.key, x: "step",
    buckets: String(Math.max(50, Math.round(width * BUCKETS_PER_PIXEL))),
  });
  if (range) {
    query.set("start", String(Math.floor(range[0])));
    query.set("end", String(Math.ceil(range[1])));
  }
  const response = await fetch(`${figure.dataset.series}?${query}`, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.statusText);
  figure.dataset.fetches = String(Number(figure.dataset.fetches || "0") + 1);
  return body;
}

const columns = (s) => [s.x, s.last, s.min, s.max];

function describe(figure, s) {
  const status = figure.querySelector(".chart-status");
  const shape = s.raw ? `${s.x.length} points` : `${s.x.length} buckets (min, max and last of each)`;
  status.textContent = `Steps ${s.start} to ${s.end}: ${shape}.`;
}

async function mount(figure) {
  const plot = figure.querySelector(".plot");
  const status = figure.querySelector(".chart-status");
  const width = Math.max(200, plot.clientWidth);
  let full;
  try {
    full = await fetchSeries(figure, width, null);
  } catch (error) {
    status.textContent = `Could not load this chart: ${error.message}`;
    return;
  }
  if (!full.x.length) {
    status.textContent = "No finite values to draw.";
    return;
  }
  let shown = full;
  let pending = 0;
  let timer = null;
  let asked = "";
  const axis = { stroke: cssVar("--fg-muted"), grid: { stroke: cssVar("--chart-grid") }, ticks: { stroke: cssVar("--chart-grid") } };
  const refetch = (u) => {
    const { min, max } = u.scales.x;
    if (min <= full.x[0] && max >= full.x[full.x.length - 1]) {
      asked = "";
      if (shown !== full) { shown = full; u.setData(columns(full), false); describe(figure, full); }
      return;
    }
    const range = `${Math.floor(min)}:${Math.ceil(max)}`;
    if (range === asked && shown !== full) return;
    asked = range;
    const ticket = ++pending;
    fetchSeries(figure, u.width, [min, max]).then((s) => {
      if (ticket !== pending) return;
      shown = s;
      u.setData(columns(s), false);
      describe(figure, s);
    }, (error) => { status.textContent = `Could not load this range: ${error.message}`; });
  };
  const chart = new window.uPlot({
    width, height: HEIGHT,
    scales: { x: { time: false } },
    series: [
      { label: "step" },
      { label: figure.dataset.key, stroke: cssVar("--chart-line"), width: 1.5 },
      { label: "min", stroke: cssVar("--chart-band-edge"), width: 1, points: { show: false } },
      { label: "max", stroke: cssVar("--chart-band-edge"), width: 1, points: { show: false } },
    ],
    bands: [{ series: [3, 2], fill: cssVar("--chart-band") }],
    axes: [axis, axis],
    cursor: {
      drag: { x: true, y: false },
      bind: {
        dblclick: (u) => () => {
          shown = full;
          asked = "";
          u.setData(columns(full), true);
          describe(figure, full);
          return null;
        },
      },
    },
    hooks: {
      setScale: [(u, key) => {
        if (key !== "x") return;
        clearTimeout(timer);
        timer = setTimeout(() => refetch(u), 120);
      }],
    },
  }, columns(full), plot);
  describe(figure, full);
  figure.dataset.drawn = "true";
  new ResizeObserver(() => chart.setSize({ width: Math.max(200, plot.clientWidth), height: HEIGHT })).observe(plot);
}

const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (entry.isIntersecting) {
      observer.unobserve(entry.target);
      mount(entry.target);
    }
  }
}, { rootMargin: "200px" });
document.querySelectorAll("figure.chart[data-key]").forEach((figure) => observer.observe(figure));
