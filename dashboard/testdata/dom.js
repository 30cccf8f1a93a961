// A minimal DOM for running the dashboard's app.js under node in tests
// (script_test.go): enough of document, elements, text nodes, fetch and the
// clock for the approvals page's rendering and answering. It reads one JSON
// object from stdin ({app, view, codepoints}) and prints the results as JSON.
"use strict";
const fs = require("fs");
const vm = require("vm");

class Node {
  constructor() { this.childNodes = []; this.parentNode = null; }
  append(...cs) {
    for (const c of cs) {
      const n = c instanceof Node ? c : new Text(String(c));
      if (n instanceof DocumentFragment) { for (const k of n.childNodes.splice(0)) this.append(k); continue; }
      n.parentNode = this;
      this.childNodes.push(n);
    }
  }
  replaceChildren(...cs) { this.childNodes = []; this.append(...cs); }
  remove() { if (this.parentNode) this.parentNode.childNodes = this.parentNode.childNodes.filter((c) => c !== this); }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(""); }
  set textContent(v) { this.childNodes = []; if (String(v) !== "") this.append(new Text(String(v))); }
  // all returns this node and every node below it, in document order.
  all() { return [this, ...this.childNodes.flatMap((c) => c.all())]; }
}
class Text extends Node {
  constructor(s) { super(); this.data = s; }
  get textContent() { return this.data; }
}
class DocumentFragment extends Node {}
class Element extends Node {
  constructor(tag) { super(); this.tagName = tag.toUpperCase(); this.attrs = {}; this.listeners = {}; this.className = ""; this.value = ""; this.hidden = false; this.disabled = false; }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  removeAttribute(k) { delete this.attrs[k]; }
  addEventListener(t, f) { (this.listeners[t] = this.listeners[t] || []).push(f); }
  dispatch(t) { for (const f of this.listeners[t] || []) f({ preventDefault() {} }); }
  get tBodies() { if (!this.tbody) { this.tbody = new Element("tbody"); this.append(this.tbody); } return [this.tbody]; }
}

const byId = {};
const document = {
  title: "",
  createElement: (t) => new Element(t),
  createTextNode: (s) => new Text(s),
  createDocumentFragment: () => new DocumentFragment(),
  getElementById: (id) => (byId[id] = byId[id] || new Element("div")),
  querySelector: () => null,
  addEventListener() {},
  body: new Element("body"),
};

let clock = 0;
const fetches = [];
async function fetch(path, opts) {
  fetches.push({ path, method: opts.method, body: opts.body ? JSON.parse(opts.body) : null });
  const data = path.endsWith("/answer") ? { record: { status: "approved" } } : { pending: [], history: [] };
  return { ok: true, status: 200, statusText: "OK", json: async () => data };
}

const ctx = vm.createContext({
  Node, document, fetch, console, Map, Set, URLSearchParams, Promise, setTimeout, clearTimeout,
  performance: { now: () => clock },
  sessionStorage: { getItem: () => "", setItem() {} },
  location: { hash: "", search: "" },
  history: { replaceState() {} },
  window: { addEventListener() {} },
});

const input = JSON.parse(fs.readFileSync(0, "utf8"));
vm.runInContext(fs.readFileSync(input.app, "utf8"), ctx, { filename: "app.js" });
const call = (expr) => vm.runInContext(expr, ctx);

(async () => {
  const out = {};
  // visible() on each code point: those it leaves as they are.
  const visible = call("visible");
  out.kept = input.codepoints.filter((n) => visible(String.fromCodePoint(n)) === String.fromCodePoint(n));
  out.samples = (input.samples || []).map((s) => visible(s));

  // The approvals page with the view given.
  clock = 10000;
  call("renderApprovals")(input.view);
  const pending = document.getElementById("pending");
  out.pendingText = pending.textContent;
  out.historyText = document.getElementById("history").textContent;
  // Whether each card's parts are shown without a click.
  out.partsOpen = pending.all().filter((n) => n instanceof Element && n.tagName === "DETAILS").map((d) => d.getAttribute("open") !== null);
  const buttons = pending.all().filter((n) => n instanceof Element && n.tagName === "BUTTON");
  const approve = buttons.find((b) => b.textContent === "Approve once");
  // A click at once after the list changed is refused.
  clock += 300;
  approve.dispatch("click");
  await new Promise((r) => setTimeout(r, 10));
  out.hastyFetches = fetches.length;
  out.hastyStatus = document.getElementById("status").textContent;
  // The same list again (the stream re-sends it) does not reset the wait.
  clock += 800;
  call("renderApprovals")(input.view);
  clock += 300;
  const again = document.getElementById("pending").all().find((n) => n instanceof Element && n.tagName === "BUTTON" && n.textContent === "Approve once");
  again.dispatch("click");
  await new Promise((r) => setTimeout(r, 10));
  out.answers = fetches.filter((f) => f.path.endsWith("/answer"));
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
