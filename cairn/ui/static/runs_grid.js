// The runs grid: takes over the server-rendered runs table and keeps it usable at any number of
// runs. Only the rows in view (and OVERSCAN more either side) are in the DOM, between two spacer
// rows that give the scrollbar its full height; windows of rows come from
// GET experiments/{id}/runs-table (or runs-groups) as they scroll into view. Child runs nest under their
// parent, groups expand into their runs, checked runs gather into a compare link, and the view
// (filter, columns, sort, grouping) is always the page's URL. Hand-written rather than a library:
// a fixed-height virtual list over a real <table> is a page of code, keeps table semantics and
// sticky headers, and ships nothing else.
import { List } from "cairn/grid_tree.js";
import { groupRow, h, headerRow, placeholderRow, runRow, spacerRow, tableWidth } from "cairn/grid_rows.js";

const OVERSCAN = 10;
const FETCH_DELAY_MS = 40; // a window is fetched once scrolling rests this long on it

const root = document.getElementById("runs");
const config = JSON.parse(root.dataset.grid);
const base = root.dataset.base;
// the UI's twins of api/cairn/v1/runs/table and /groups (a session cookie opens only UI routes)
const api = `${base}experiments/${encodeURIComponent(config.experiment)}/runs-`;
const form = document.getElementById("view-form");
const filterInput = document.getElementById("filter");
const errorBox = document.getElementById("filter-error");
const countLine = document.getElementById("grid-count");
const scroller = root.querySelector(".grid-scroll");
const table = scroller.querySelector("table");
const tbody = table.tBodies[0];
const compareLink = document.getElementById("compare-link");
const clearButton = document.getElementById("clear-selection");
const [minCompare, maxCompare] = config.compare;
const embedded = document.getElementById("grid-first");

let view = { filter: config.filter, order: config.order, cols: config.cols, group: config.group };
const selected = new Map(); // run id -> name, in the order they were checked
let tree = null;
let generation = 0;
let rowHeight = 0;
let shown = { first: 0, last: -1 };
let missing = [];
let fetchTimer = 0;
let framed = false;

// ---- the view and the URL ----------------------------------------------------------------

function pageQuery(v) {
  const q = new URLSearchParams();
  if (v.filter) q.set("filter", v.filter);
  if (v.order) q.set("order", v.order);
  if (v.group) q.set("group", v.group);
  for (const c of v.cols.length ? v.cols : [""]) q.append("cols", c);
  return q;
}

function viewFromUrl() {
  const q = new URLSearchParams(location.search);
  const cols = q.has("cols") ? q.getAll("cols").filter(Boolean) : config.cols;
  return { filter: q.get("filter") || "", order: q.get("order") || "", group: q.get("group") || "", cols };
}

function apiQuery(extra) {
  const q = new URLSearchParams({ experiment_id: config.experiment });
  for (const key of ["filter", "order", "group"]) if (view[key]) q.set(key, view[key]);
  for (const c of view.cols) q.append("cols", c);
  for (const [key, value] of Object.entries(extra)) q.set(key, String(value));
  return q;
}

async function getJSON(path, query) {
  const response = await fetch(`${api}${path}?${query}`, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.message || response.statusText), { position: body.position });
  return body;
}

const runWindow = (b) => ({ total: b.total, matched: b.matched, items: b.rows.map((r) => ({ kind: "run", ...r })) });
const groupWindow = (b) => ({ total: b.total, matched: b.matched, items: b.groups.map((g) => ({ kind: "group", ...g })) });
const runsOf = (extra) => (offset, limit) => getJSON("table", apiQuery({ ...extra, offset, limit })).then(runWindow);
const groupsOf = () => (offset, limit) => getJSON("groups", apiQuery({ offset, limit })).then(groupWindow);

// The first window the page came with, for the view it was rendered for (used once).
function takeEmbedded() {
  if (!embedded) return null;
  const body = JSON.parse(embedded.textContent);
  embedded.remove();
  const same = view.filter === config.filter && view.order === config.order && view.group === config.group
    && view.cols.join("\u0000") === config.cols.join("\u0000");
  return same ? (view.group ? groupWindow(body) : runWindow(body)) : null;
}

// The URL changes once the new view is on screen (or its error is), as a page load would.
function apply() {
  const url = `${location.pathname}?${pageQuery(view)}`;
  reload().then((current) => {
    if (current && `${location.pathname}${location.search}` !== url) history.pushState(null, "", url);
  });
}

// ---- loading and errors ------------------------------------------------------------------

function showError(error) {
  errorBox.replaceChildren();
  const text = view.filter;
  const at = error.position;
  if (Number.isInteger(at) && at <= text.length) {
    const end = text.indexOf(" ", at) === -1 ? text.length : text.indexOf(" ", at);
    errorBox.append(h("p", { class: "bad-filter" }, h("code", {}, text.slice(0, at), h("mark", {}, text.slice(at, end) || " "), text.slice(end))));
  }
  errorBox.append(h("p", {}, error.message));
  errorBox.hidden = false;
  filterInput.setAttribute("aria-invalid", "true");
  filterInput.setAttribute("aria-describedby", "filter-help filter-error");
}

function clearError() {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  filterInput.removeAttribute("aria-invalid");
  filterInput.setAttribute("aria-describedby", "filter-help");
}

function setEmpty(message) {
  let empty = root.querySelector(".grid-empty");
  if (!message) { if (empty) empty.hidden = true; return; }
  if (!empty) { empty = h("section", { class: "empty grid-empty" }); scroller.after(empty); }
  empty.replaceChildren(h("h2", {}, message));
  empty.hidden = false;
}

// Resolves to whether this view is still the one asked for (a later change wins).
async function reload() {
  const ticket = ++generation;
  const list = new List(view.group ? groupsOf() : runsOf({}), config.window);
  const given = takeEmbedded();
  let first;
  try {
    first = given ? list.adopt(given) : await list.start();
  } catch (error) {
    if (ticket !== generation) return false;
    tree = null;
    showError(error);
    scroller.hidden = true;
    countLine.textContent = "";
    return true;
  }
  if (ticket !== generation) return false;
  clearError();
  tree = list;
  root.querySelector("section.empty:not(.grid-empty)")?.remove();
  const n = (x) => (x ?? 0).toLocaleString("en-US");
  countLine.textContent = view.group ? `${n(first.total)} groups of ${n(first.matched)} runs`
    : `${n(first.matched)} runs${first.total !== first.matched ? ` (${n(first.total)} top-level)` : ""}`;
  scroller.hidden = list.size === 0;
  setEmpty(list.size ? "" : view.filter ? "No run matches this filter" : "No runs in this experiment yet");
  table.classList.toggle("grouped", Boolean(view.group));
  table.style.width = `${tableWidth(view.cols, Boolean(view.group))}rem`;
  table.tHead.replaceChildren(headerRow(view, (order) => `${location.pathname}?${pageQuery({ ...view, order })}`));
  form.querySelector(".columns summary").textContent = `Columns (${view.cols.length})`;
  scroller.scrollTop = 0;
  render(true);
  root.dataset.ready = "true";
  return true;
}

// ---- drawing the rows in view ------------------------------------------------------------

function keyOf(item) {
  return item.kind === "run" ? `r:${item.run_id}` : `g:${item.value === null ? "\u0000" : item.value}`;
}

function render(force) {
  if (!tree) return;
  const total = tree.visibleSize();
  const height = rowHeight || 36;
  const top = Math.max(0, scroller.scrollTop - table.tHead.offsetHeight);
  const firstInView = Math.floor(top / height);
  const lastInView = Math.min(total - 1, Math.ceil((top + scroller.clientHeight) / height));
  if (!force && firstInView >= shown.first && lastInView <= shown.last) return;
  const first = Math.max(0, firstInView - OVERSCAN);
  const last = Math.min(total - 1, lastInView + OVERSCAN);
  const span = 5 + view.cols.length;
  const active = document.activeElement;
  const focused = tbody.contains(active) && active.closest("tr")?.dataset.key
    ? [active.closest("tr").dataset.key, active.classList[0] ? `.${active.classList[0]}` : active.localName] : null;
  const rows = [];
  missing = [];
  for (let i = first; i <= last; i++) {
    const { list, index } = tree.locate(i);
    const item = list.item(index);
    if (item === undefined) {
      missing.push([list, index]);
      rows.push(placeholderRow(span, i + 2));
      continue;
    }
    const ctx = {
      base, cols: view.cols, group: view.group, depth: list.depth, key: keyOf(item), rowIndex: i + 2,
      expanded: list.open.has(index), busy: false, selected: item.kind === "run" && selected.has(item.run_id),
    };
    const row = item.kind === "run" ? runRow(item, ctx) : groupRow(item, ctx);
    row.dataset.index = String(i);
    rows.push(row);
  }
  const before = first * height;
  const after = Math.max(0, (total - last - 1) * height);
  tbody.replaceChildren(...(before ? [spacerRow(span, before)] : []), ...rows, ...(after ? [spacerRow(span, after)] : []));
  table.setAttribute("aria-rowcount", String(total + 1));
  shown = { first, last };
  if (focused) tbody.querySelector(`tr[data-key="${CSS.escape(focused[0])}"] ${focused[1]}`)?.focus({ preventScroll: true });
  const sample = tbody.querySelector("tr.run, tr.group");
  const measured = sample ? sample.getBoundingClientRect().height : 0;
  if (measured && Math.abs(measured - rowHeight) > 0.5) {
    rowHeight = measured;
    render(true);
    return;
  }
  clearTimeout(fetchTimer);
  if (missing.length) fetchTimer = setTimeout(fetchMissing, FETCH_DELAY_MS);
}

function fetchMissing() {
  const ticket = generation;
  const asked = new Map(); // list -> window numbers asked for
  for (const [list, index] of missing) {
    const windows = asked.get(list) ?? new Set();
    const number = Math.floor(index / list.window);
    asked.set(list, windows);
    if (windows.has(number)) continue;
    windows.add(number);
    list.fetch(index).then(() => { if (ticket === generation) render(true); }, (error) => showError(error));
  }
}

function onScroll() {
  if (framed) return;
  framed = true;
  requestAnimationFrame(() => { framed = false; render(false); });
}

// ---- expanding, selecting, comparing -----------------------------------------------------

async function toggleRow(row) {
  const { list, index } = tree.locate(Number(row.dataset.index));
  const item = list.item(index);
  if (list.open.has(index)) {
    list.collapse(index);
    render(true);
    return;
  }
  const extra = item.kind === "run" ? { parent: item.run_id }
    : item.value === null ? { group_missing: "true" } : { group_value: item.value };
  const child = new List(runsOf(extra), config.window, list.depth + 1);
  const ticket = generation;
  row.querySelector(".toggle").setAttribute("aria-busy", "true");
  try {
    await child.start();
  } catch (error) {
    showError(error);
    return;
  }
  if (ticket !== generation) return;
  list.expand(index, child);
  render(true);
}

function updateCompare() {
  const n = selected.size;
  const ok = n >= minCompare && n <= maxCompare;
  compareLink.textContent = `Compare (${n})`;
  if (ok) {
    const query = new URLSearchParams([...selected.keys()].map((id) => ["run", id]));
    compareLink.href = `${base}compare?${query}`;
    compareLink.removeAttribute("aria-disabled");
    compareLink.removeAttribute("title");
  } else {
    compareLink.removeAttribute("href");
    compareLink.setAttribute("aria-disabled", "true");
    compareLink.title = n > maxCompare ? `Compare takes at most ${maxCompare} runs` : `Select ${minCompare} to ${maxCompare} runs to compare`;
  }
  clearButton.hidden = n === 0;
}

tbody.addEventListener("click", (event) => {
  const button = event.target.closest("button.toggle");
  if (button) toggleRow(button.closest("tr"));
});
tbody.addEventListener("change", (event) => {
  if (!event.target.matches("input.pick")) return;
  const row = event.target.closest("tr");
  const name = row.querySelector("a")?.textContent ?? row.dataset.run;
  if (event.target.checked) selected.set(row.dataset.run, name); else selected.delete(row.dataset.run);
  row.classList.toggle("selected", event.target.checked);
  updateCompare();
});
clearButton.addEventListener("click", () => {
  selected.clear();
  tbody.querySelectorAll("input.pick:checked").forEach((box) => { box.checked = false; box.closest("tr").classList.remove("selected"); });
  updateCompare();
});

// ---- the controls ------------------------------------------------------------------------

// Columns keep the order they were chosen in: still-checked ones first, newly checked ones after.
function readForm() {
  const data = new FormData(form);
  const checked = new Set(data.getAll("cols").filter(Boolean));
  const kept = view.cols.filter((c) => checked.has(c));
  const cols = kept.concat([...checked].filter((c) => !kept.includes(c)));
  return { ...view, filter: String(data.get("filter") || "").trim(), group: String(data.get("group") || ""), cols };
}

function syncForm() {
  filterInput.value = view.filter;
  form.elements.group.value = view.group;
  form.querySelectorAll("input[name=cols]").forEach((box) => { if (box.value) box.checked = view.cols.includes(box.value); });
}

const picker = form.querySelector("details.columns");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  picker.open = false;
  view = readForm();
  apply();
});
picker.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !picker.open) return;
  picker.open = false;
  picker.querySelector("summary").focus();
});
form.addEventListener("change", (event) => {
  if (event.target.name === "cols" || event.target.name === "group") {
    view = readForm();
    apply();
  }
});
table.tHead.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-order]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  view = { ...view, order: link.dataset.order };
  apply();
});
window.addEventListener("popstate", () => {
  view = viewFromUrl();
  syncForm();
  reload();
});

const find = form.querySelector(".picker-find");
find.hidden = false;
find.querySelector("input").addEventListener("input", (event) => {
  const needle = event.target.value.toLowerCase();
  form.querySelectorAll(".picker fieldset label").forEach((label) => { label.hidden = !label.textContent.toLowerCase().includes(needle); });
});
root.querySelector(".pager").hidden = true;
form.querySelector(".compare-submit").hidden = true;
compareLink.hidden = false;
scroller.addEventListener("scroll", onScroll, { passive: true });
new ResizeObserver(() => render(true)).observe(scroller);
view = viewFromUrl();
updateCompare();
reload();
