// The runs grid's markup: header, run rows, group rows, placeholders. Built with DOM calls (text
// goes in as text, never as HTML) and shaped like the server's table in runs.html, so a page looks
// the same before and after the grid takes it over. Numbers print like Python's "%.6g".
const FIXED = [
  ["attributes.run_name", "Run", "name"], ["attributes.status", "Status", "status"],
  ["attributes.start_time", "Started", "time"], [null, "Duration", "duration"],
  ["attributes.user_id", "User", "user"],
];
const WIDTHS_REM = { name: 18, status: 7.5, time: 12.5, duration: 6.5, user: 8, column: 9.5, aggregate: 18 };
const SPECIAL = { NaN: "nan", Infinity: "inf", "-Infinity": "-inf" };

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

export function formatNumber(x) {
  if (typeof x === "string") return SPECIAL[x] ?? x;
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mantissa, e] = x.toExponential(5).split("e");
  const exp = Number(e);
  const trim = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp < -4 || exp >= 6) return `${trim(mantissa)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return trim(x.toFixed(5 - exp));
}

export function formatTime(ms) {
  if (!ms) return "—";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function formatDuration(start, end) {
  if (start == null || end == null) return "—";
  const seconds = Math.max(0, Math.floor((end - start) / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const secs = seconds % 60;
  return hours ? `${hours}h ${minutes}m ${secs}s` : minutes ? `${minutes}m ${secs}s` : `${secs}s`;
}

export function formatValue(column, v) {
  if (v === null || v === undefined) return "—";
  if (column === "attributes.start_time" || column === "attributes.end_time") return formatTime(v);
  return typeof v === "number" || (column.startsWith("metrics.") && v in SPECIAL) ? formatNumber(v) : String(v);
}

export const isMetric = (column) => column.startsWith("metrics.");

export function orderClause(column) {
  const dot = column.indexOf(".");
  const entity = column.slice(0, dot);
  return entity === "attributes" ? column : `${entity}.\`${column.slice(dot + 1)}\``;
}

// Width of the table in rem, so `table-layout: fixed` keeps every column still while rows change.
export function tableWidth(columns, grouped) {
  const fixed = WIDTHS_REM.name + WIDTHS_REM.status + WIDTHS_REM.time + WIDTHS_REM.duration + WIDTHS_REM.user;
  return columns.reduce((sum, c) => sum + (grouped && isMetric(c) ? WIDTHS_REM.aggregate : WIDTHS_REM.column), fixed);
}

// The header row: sortable columns are links to the view sorted by them (descending first).
export function headerRow(view, hrefFor) {
  const cells = [...FIXED, ...view.cols.map((c) => [c, c, isMetric(c) ? "num" : ""])].map(([column, label, cls]) => {
    if (column === null) return h("th", { scope: "col", class: cls }, label);
    const clause = orderClause(column);
    const sort = view.order === `${clause} DESC` ? "descending" : view.order === `${clause} ASC` ? "ascending" : "none";
    const next = sort === "descending" ? `${clause} ASC` : `${clause} DESC`;
    const arrow = { descending: " ▼", ascending: " ▲" }[sort] ?? "";
    const hint = view.group && isMetric(column) ? h("span", { class: "agg-hint", "aria-hidden": "true" }, "min · mean · max") : null;
    const link = h("a", { href: hrefFor(next), "data-order": next, title: label }, label,
      h("span", { class: "sort", "aria-hidden": "true" }, arrow), hint);
    return h("th", { scope: "col", "aria-sort": sort, "data-column": column, class: cls || null }, link);
  });
  return h("tr", { "aria-rowindex": 1 }, ...cells);
}

function toggle(label, expanded, busy) {
  return h("button", {
    type: "button", class: "toggle", "aria-expanded": expanded ? "true" : "false", "aria-label": label,
    "aria-busy": busy ? "true" : null,
  }, expanded ? "▾" : "▸");
}

export function runRow(item, ctx) {
  const name = item.run_name || item.run_id;
  const first = h("td", { class: "name" });
  first.style.setProperty("--depth", String(ctx.depth));
  first.append(h("input", {
    type: "checkbox", class: "pick", "aria-label": `Select ${name}`, checked: ctx.selected,
  }));
  if (item.children) {
    const kids = `${item.children} child run${item.children === 1 ? "" : "s"}`;
    first.append(toggle(`${ctx.expanded ? "Hide" : "Show"} ${kids} of ${name}`, ctx.expanded, ctx.busy));
  } else if (ctx.depth) {
    first.append(h("span", { class: "toggle-space", "aria-hidden": "true" }));
  }
  first.append(h("a", { href: `${ctx.base}runs/${item.run_id}`, title: name }, name));
  if (item.children) first.append(h("span", { class: "kids", "aria-hidden": "true" }, String(item.children)));
  const cells = [
    first,
    h("td", {}, h("span", { class: `badge status-${item.status.toLowerCase()}` }, item.status)),
    h("td", {}, formatTime(item.start_time)),
    h("td", {}, formatDuration(item.start_time, item.end_time)),
    h("td", {}, item.user_id),
    ...ctx.cols.map((c, i) => {
      const text = formatValue(c, item.values[i]);
      return h("td", { class: isMetric(c) ? "num" : null, title: text.length > 14 ? text : null }, text);
    }),
  ];
  return h("tr", {
    class: `run${ctx.selected ? " selected" : ""}${ctx.depth ? " child" : ""}`, "data-run": item.run_id,
    "data-key": ctx.key, "aria-rowindex": ctx.rowIndex,
  }, ...cells);
}

export function groupRow(item, ctx) {
  const label = item.value === null ? h("em", {}, "no value") : h("strong", {}, item.value);
  const runs = `${item.runs.toLocaleString("en-US")} run${item.runs === 1 ? "" : "s"}`;
  const shown = item.value === null ? "no value" : item.value;
  const first = h("td", { class: "name", colspan: 5 },
    toggle(`${ctx.expanded ? "Hide" : "Show"} the ${runs} with ${ctx.group} = ${shown}`, ctx.expanded, ctx.busy),
    h("span", { class: "group-key" }, ctx.group), " = ", label, " ", h("span", { class: "muted" }, runs));
  let metric = 0;
  const cells = ctx.cols.map((c) => {
    if (isMetric(c)) {
      const [min, mean, max] = item.aggregates[metric++];
      if (mean === null) return h("td", { class: "num agg" }, "—");
      const [a, b, z] = [min, mean, max].map(formatNumber);
      return h("td", { class: "num agg", title: `min ${a}, mean ${b}, max ${z}` },
        h("span", { class: "min" }, a), " · ", h("strong", { class: "mean" }, b), " · ", h("span", { class: "max" }, z));
    }
    return h("td", {}, c === ctx.group ? (item.value ?? "—") : "");
  });
  return h("tr", { class: "group", "data-key": ctx.key, "aria-rowindex": ctx.rowIndex }, first, ...cells);
}

export function placeholderRow(span, rowIndex) {
  return h("tr", { class: "loading", "aria-rowindex": rowIndex }, h("td", { colspan: span }, h("span", { class: "muted" }, "Loading…")));
}

export function spacerRow(span, height) {
  const cell = h("td", { colspan: span });
  cell.style.height = `${height}px`;
  return h("tr", { class: "spacer", "aria-hidden": "true" }, cell);
}
