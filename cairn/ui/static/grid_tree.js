// The runs grid's rows as a tree of lazily loaded lists: the top level (runs or groups), and under
// any expanded row the list of its children (child runs, or the runs of a group). Each list knows
// its length from its first window and loads the other windows of `window` rows when asked, so
// 10,000 rows cost a few windows of JSON. `locate(i)` maps the i-th row on screen to its list and
// index, counting the rows of expanded lists in between.
export class List {
  // load(offset, limit) resolves to {items, total}; total may be null after the first window.
  constructor(load, window, depth = 0) {
    this.load = load;
    this.window = window;
    this.depth = depth;
    this.size = 0;
    this.windows = new Map(); // window number -> items, or a Promise while loading
    this.open = new Map(); // index of an expanded item -> its child List
    this.order = []; // the keys of `open`, sorted
  }

  async start() {
    return this.adopt(await this.load(0, this.window));
  }

  // Take a first window that is already here (the page embeds one).
  adopt(first) {
    this.size = first.total ?? first.items.length;
    this.windows.set(0, first.items);
    return first;
  }

  // Rows on screen: this list's items plus the rows of every expanded child list.
  visibleSize() {
    let n = this.size;
    for (const child of this.open.values()) n += child.visibleSize();
    return n;
  }

  locate(i) {
    let shift = 0;
    for (const k of this.order) {
      const at = k + shift;
      if (i <= at) break;
      const child = this.open.get(k);
      const size = child.visibleSize();
      if (i <= at + size) return child.locate(i - at - 1);
      shift += size;
    }
    return { list: this, index: i - shift };
  }

  // The item, or undefined while its window is missing (`missing` then names the window).
  item(index) {
    const got = this.windows.get(Math.floor(index / this.window));
    return Array.isArray(got) ? got[index % this.window] : undefined;
  }

  isLoading(index) {
    return this.windows.get(Math.floor(index / this.window)) instanceof Promise;
  }

  // Load the window holding `index`; resolves when it is in.
  fetch(index) {
    const number = Math.floor(index / this.window);
    const got = this.windows.get(number);
    if (got !== undefined) return got instanceof Promise ? got : Promise.resolve(got);
    const promise = this.load(number * this.window, this.window).then(
      (body) => { this.windows.set(number, body.items); return body.items; },
      (error) => { this.windows.delete(number); throw error; },
    );
    this.windows.set(number, promise);
    return promise;
  }

  expand(index, child) {
    this.open.set(index, child);
    this.order = [...this.open.keys()].sort((a, b) => a - b);
  }

  collapse(index) {
    this.open.delete(index);
    this.order = [...this.open.keys()].sort((a, b) => a - b);
  }
}
