// safeclaw dashboard. Plain JavaScript, no dependencies. Every value from
// the server is put in the page as text (through el() or setText(), which
// show invisible and reordering characters as escapes), never as HTML, and
// never in a URL, style or handler attribute.
"use strict";

// The session's second secret: the login page carries it, this tab keeps
// it (sessionStorage is per origin, so per port, unlike the cookie), and
// every API request sends it.
let csrf = "";

// Attributes whose value is a URL, markup or style: el() never sets them.
const unsafeAttr = /^(href|src|srcdoc|srcset|action|formaction|data|style|xlink:href|poster|background|ping)$/i;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k.startsWith("on") || unsafeAttr.test(k)) throw new Error("el: attribute " + k + " refused");
    else e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : visible(String(c)));
  }
  return e;
}

// setText puts s in node as its only text, shown as visible() shows it.
function setText(node, s) { node.textContent = visible(s); }

// raw is s as a text node, unescaped: only for the policy editor's
// highlighting, which must line up with the text area character for
// character.
function raw(s) { return document.createTextNode(s); }

function $(id) { return document.getElementById(id); }

function status(msg) { setText($("status"), msg); }

async function api(method, path, body) {
  const opts = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const err = new Error((data && data.message) || res.statusText);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
}

function when(t) {
  if (!t) return "";
  const d = new Date(t);
  return isNaN(d) ? t : d.toLocaleString();
}

function ruleText(r) {
  if (!r) return "default";
  return (r.name || r.reason || "") + (r.source ? " (" + r.source + ")" : "");
}

// ---- navigation

const pages = ["approvals", "audit", "policy", "setup"];
const loaded = {};

function show() {
  const name = pages.includes(location.hash.slice(1)) ? location.hash.slice(1) : "approvals";
  for (const p of pages) {
    $(p).hidden = p !== name;
    const a = $("nav-" + p);
    if (p === name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  status("");
  if (!loaded[name]) { loaded[name] = true; init[name](); }
}

// ---- approvals

// The agent chooses when its requests arrive and expire, so it can try to
// move another request's buttons under the person's pointer just before a
// click. Answers are refused until the pending list has held still for
// settleMs; the server lists the oldest first, so new requests go below.
const settleMs = 1000;
const pendingLayout = {
  key: null,
  changedAt: -Infinity,
  // note records the list shown at time now (milliseconds).
  note(list, now) {
    const key = list.map((r) => r.id + " " + r.hash).join("\n");
    if (key !== this.key) { this.key = key; this.changedAt = now; }
  },
  settled(now) { return now - this.changedAt >= settleMs; },
};

// reasons keeps what the person typed in each card's reason box across
// re-renders.
const reasons = new Map();

function renderApprovals(v) {
  const box = $("pending");
  pendingLayout.note(v.pending, performance.now());
  for (const id of [...reasons.keys()]) if (!v.pending.some((r) => r.id === id)) reasons.delete(id);
  box.replaceChildren();
  setText($("pending-count"), v.pending.length ? String(v.pending.length) : "");
  document.title = (v.pending.length ? "(" + v.pending.length + ") " : "") + "safeclaw dashboard";
  if (!v.pending.length) box.append(el("p", {}, "No pending requests."));
  for (const r of v.pending) box.append(pendingCard(r, (v.risk || {})[r.id]));
  const tb = $("history").tBodies[0];
  tb.replaceChildren();
  for (const r of v.history) {
    const a = r.answer || {};
    tb.append(el("tr", {},
      el("td", {}, when(a.time || r.created)),
      el("td", { class: r.status === "approved" ? "allow" : "deny" }, r.status + (a.scope ? " (" + a.scope + ")" : "")),
      el("td", { class: "mono" }, r.input),
      el("td", {}, a.approver || ""),
      el("td", {}, a.reason || "")));
  }
}

// visible shows control characters (but newline and tab), invisible
// Unicode format characters (right-to-left overrides and isolates,
// zero-width characters, tag characters) and line and paragraph separators
// as escapes, as the CLI does, so that agent text (a command, a directory
// name, a reason) cannot hide or reorder part of itself or what follows it.
const invisible = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function visible(s) {
  return String(s === null || s === undefined ? "" : s).replace(invisible, (c) => {
    if (c === "\n" || c === "\t") return c;
    const n = c.codePointAt(0);
    return n > 0xffff ? "\\u{" + n.toString(16) + "}" : "\\u" + n.toString(16).padStart(4, "0");
  });
}

// needsText says what a request needs beyond one approval from anyone.
function needsText(n) {
  const who = (n.approvers || []).length ? " from " + n.approvers.join(", ") : "";
  return n.quorum > 1 ? n.quorum + " different approvers" + who : "an approval" + who;
}

function pendingCard(r, risk) {
  const id = "req-" + r.id;
  const reason = el("input", { type: "text", id: id + "-reason", autocomplete: "off" });
  reason.value = reasons.get(r.id) || "";
  reason.addEventListener("input", () => reasons.set(r.id, reason.value));
  const parts = el("ul", {});
  for (const p of r.parts || []) {
    parts.append(el("li", {}, p.text ? el("code", {}, p.text) : "", p.text ? " → " : "", (p.actions || []).join(", ")));
  }
  const answer = async (approve, scope) => {
    if (!pendingLayout.settled(performance.now())) {
      status("The pending requests just changed: nothing was answered. Read the request again, then answer.");
      return;
    }
    try {
      // The hash binds the request as shown: if the record now binds
      // anything else, the server answers nothing (409).
      const body = { approve, reason: reason.value, hash: r.hash };
      if (approve) body.scope = scope;
      const got = await api("POST", "/api/approvals/" + encodeURIComponent(r.id) + "/answer", body);
      const rec = got.record || {};
      if (approve && rec.status === "pending") {
        status("Approved " + r.id + ": " + (rec.votes || []).length + " of " + rec.needs.quorum + " approvals; it waits for the others");
      } else {
        status((approve ? "Approved " : "Denied ") + r.id + (approve ? " (" + scope + ")" : ""));
      }
      refreshApprovals();
    } catch (e) { status("Could not answer " + r.id + ": " + e.message); }
  };
  const lines = String(r.input || "").split("\n").length;
  return el("article", { class: "card", "aria-labelledby": id + "-h" },
    el("h4", { id: id + "-h" }, "Request ", el("code", {}, r.id), " from ", r.agent || "an agent"),
    lines > 1 ? el("p", { class: "help" }, "The request has " + lines + " lines; read all of them.") : null,
    el("pre", { "aria-label": "Full command" }, r.input),
    el("p", {}, el("strong", {}, "Rule that asked: "), ruleText(r.rule)),
    r.reason ? el("p", {}, el("strong", {}, "Reason: "), r.reason) : null,
    risk && risk.length ? el("p", {}, el("strong", {}, "Risk (advisory): "), risk.join(", ")) : null,
    el("p", {}, el("strong", {}, "Directory: "), el("code", {}, r.cwd || "-"), " · ", el("strong", {}, "Expires: "), when(r.deadline)),
    el("p", { class: "help" }, "Surface: " + (r.surface || "-") + " · Session: " + (r.session || "-")),
    r.requester ? el("p", { class: "help" }, "Waiting: " + r.requester) : null,
    r.needs ? el("p", {}, el("strong", {}, "Needs: "), needsText(r.needs),
      (r.votes || []).length ? " · approved so far by " + r.votes.map((v) => v.approver).join(", ") : "") : null,
    // Parts that say more than the input (several commands; a command
    // substitution inside a redacted value) are shown without a click, as
    // the terminal shows them.
    el("details", partsSayMore(r) ? { open: "" } : {}, el("summary", {}, "Parts and facets"), parts),
    el("div", { class: "row" },
      el("label", { for: id + "-reason" }, "Reason (optional)"), reason),
    el("div", { class: "row" },
      el("button", { type: "button", onclick: () => answer(true, "once") }, "Approve once"),
      // A session scope needs the agent's session; "always" is never for
      // a quorum, named approvers or the managed policy's asks (the server
      // refuses them too).
      r.session ? el("button", { type: "button", class: "secondary", onclick: () => answer(true, "session") }, "Approve for session") : null,
      r.needs || (r.rule && r.rule.layer === "managed") ? null :
        el("button", { type: "button", class: "secondary", onclick: () => answer(true, "always") }, "Approve always"),
      el("button", { type: "button", class: "danger", onclick: () => answer(false) }, "Deny")));
}

// partsSayMore reports whether a request's parts show something its input
// does not: more than one part, or one part other than the input.
function partsSayMore(r) {
  const ps = r.parts || [];
  return ps.length > 1 || (ps.length === 1 && ps[0].text !== r.input);
}

async function refreshApprovals() {
  try { renderApprovals(await api("GET", "/api/approvals")); } catch (e) { setText($("pending"), e.message); }
}

// streamApprovals reads the server-sent events with fetch, which (unlike
// EventSource) can send the session token header; it reconnects by itself.
async function streamApprovals() {
  for (;;) {
    try {
      const res = await fetch("/api/approvals/stream", { headers: { "X-CSRF-Token": csrf }, credentials: "same-origin", cache: "no-store" });
      if (res.status === 401 || res.status === 403) {
        status("Session ended: open a new login link from 'safeclaw ui'.");
        return;
      }
      if (!res.ok || !res.body) throw new Error(res.statusText);
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (event === "approvals") renderApprovals(JSON.parse(data));
          else if (event === "failure") status("Could not read the approval store; retrying.");
        }
      }
    } catch (e) {
      refreshApprovals();
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function initApprovals() {
  streamApprovals();
}

// ---- audit

let auditCursors = [];
let auditBefore = 0;

async function loadAudit(before) {
  const f = $("audit-filter").value;
  const q = new URLSearchParams({ filter: f, limit: "50" });
  if (before) q.set("before", String(before));
  setText($("audit-error"), "");
  try {
    const page = await api("GET", "/api/audit?" + q);
    const tb = $("audit-table").tBodies[0];
    tb.replaceChildren();
    for (const r of page.records) {
      const kinds = (r.actions || []).map((a) => a.action + (a.port ? ":" + a.port : "")).join(", ");
      tb.append(el("tr", {},
        el("td", {}, r.seq), el("td", {}, when(r.time)),
        el("td", { class: r.decision || "" }, r.decision || r.type),
        el("td", { class: "mono" }, kinds),
        el("td", { class: "mono" }, r.request || ""),
        el("td", {}, r.rule ? ruleText(r.rule) : "")));
    }
    if (!page.records.length) tb.append(el("tr", {}, el("td", { colspan: "6" }, "No matching records.")));
    auditBefore = page.before || 0;
    $("audit-older").disabled = !auditBefore;
  } catch (e) {
    setText($("audit-error"), e.message + (e.data && e.data.col ? " (column " + e.data.col + ")" : ""));
  }
}

// exportAudit downloads the filtered trail: fetched with the session token,
// then saved from a blob, since a plain link cannot send the header.
async function exportAudit(format) {
  const q = new URLSearchParams({ filter: $("audit-filter").value, format });
  try {
    const res = await fetch("/api/audit/export?" + q, { headers: { "X-CSRF-Token": csrf }, credentials: "same-origin", cache: "no-store" });
    if (!res.ok) {
      let msg = res.statusText;
      try { msg = (await res.json()).message || msg; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    const blob = await res.blob();
    const a = document.createElement("a");
    a.setAttribute("download", "safeclaw-audit." + format);
    a.href = URL.createObjectURL(blob);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) { setText($("audit-error"), "Export failed: " + e.message); }
}

function initAudit() {
  $("export-jsonl").addEventListener("click", () => exportAudit("jsonl"));
  $("export-csv").addEventListener("click", () => exportAudit("csv"));
  $("audit-form").addEventListener("submit", (ev) => { ev.preventDefault(); auditCursors = []; loadAudit(0); });
  $("audit-older").addEventListener("click", () => { auditCursors.push(auditBefore); loadAudit(auditBefore); });
  $("audit-newer").addEventListener("click", () => { auditCursors = []; loadAudit(0); });
  $("verify").addEventListener("click", async () => {
    setText($("verify-status"), "Verifying…");
    try {
      const v = await api("POST", "/api/audit/verify");
      const r = v.report;
      setText($("verify-status"), r.intact
        ? "Intact: " + r.records + " records verified (" + when(v.checked) + ")"
        : "TAMPERED: " + (r.problems && r.problems[0] ? r.problems[0].message + " at #" + r.problems[0].seq : "problems found"));
      $("verify-status").className = r.intact ? "allow" : "deny";
    } catch (e) { setText($("verify-status"), e.message); }
  });
  loadAudit(0);
}

// ---- policy

let validateTimer = 0;
let errorLines = new Set();

// highlightLine splits one line of YAML into [class, text] tokens: a
// comment, a key, list dashes, quoted strings, numbers and the effects. It
// is a display aid only; the loader on the server is the judge.
function highlightLine(line) {
  const out = [];
  let rest = line;
  const lead = /^(\s*)((?:-\s+)*)/.exec(rest);
  if (lead[1]) out.push(["", lead[1]]);
  if (lead[2]) out.push(["hl-dash", lead[2]]);
  rest = rest.slice(lead[0].length);
  const key = /^([^\s#'"][^:#]*?|"[^"]*"|'[^']*'):(?=\s|$)/.exec(rest);
  if (key) { out.push(["hl-key", key[1]]); out.push(["", ":"]); rest = rest.slice(key[0].length); }
  while (rest) {
    const m = /^(\s+)|^(#.*)|^("(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?)|^(-?\d+(?:\.\d+)?)(?=[\s,\]}]|$)|^(allow|deny|ask)(?=[\s,\]}]|$)|^([^\s"'][^\s"']*)/.exec(rest);
    if (!m) { out.push(["", rest]); break; }
    if (m[1]) out.push(["", m[1]]);
    else if (m[2]) out.push(["hl-com", m[2]]);
    else if (m[3]) out.push(["hl-str", m[3]]);
    else if (m[4]) out.push(["hl-num", m[4]]);
    else if (m[5]) out.push(["hl-" + m[5], m[5]]);
    else out.push(["", m[6]]);
    rest = rest.slice(m[0].length);
  }
  return out;
}

function highlight() {
  const ta = $("policy-text");
  const pre = $("policy-hl");
  const frag = document.createDocumentFragment();
  ta.value.split("\n").forEach((line, i) => {
    const holder = errorLines.has(i + 1) ? el("span", { class: "hl-errline" }) : frag;
    for (const [cls, text] of highlightLine(line)) {
      const t = raw(text);
      holder.append(cls ? el("span", { class: cls }, t) : t);
    }
    if (holder !== frag) frag.append(holder);
    frag.append("\n");
  });
  // A trailing space keeps the last empty line as tall as the textarea's.
  frag.append(" ");
  pre.replaceChildren(frag);
  pre.scrollTop = ta.scrollTop;
  pre.scrollLeft = ta.scrollLeft;
}

function showIssues(list) {
  const box = $("policy-errors");
  box.replaceChildren();
  errorLines = new Set(list.filter((i) => i.line).map((i) => i.line));
  highlight();
  for (const i of list) {
    const where = i.line ? "line " + i.line + ", column " + i.col + ": " : "";
    const p = el("p", { class: "error" }, where + i.message + (i.hint ? " (" + i.hint + ")" : ""));
    if (i.line) {
      p.append(" ", el("button", { type: "button", class: "secondary", onclick: () => gotoLine(i.line, i.col) }, "Go to line " + i.line));
    }
    box.append(p);
  }
}

function gotoLine(line, col) {
  const ta = $("policy-text");
  const lines = ta.value.split("\n");
  let pos = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
  pos += Math.max(0, (col || 1) - 1);
  ta.focus();
  ta.setSelectionRange(pos, pos);
}

async function validate() {
  try {
    const v = await api("POST", "/api/policy/validate", { text: $("policy-text").value });
    errorLines = new Set();
    highlight();
    $("policy-errors").replaceChildren(el("p", { class: "allow" }, "Valid: " + v.rules + " rules" + (v.lint && v.lint.length ? "; " + v.lint.length + " lint findings" : "")));
    return true;
  } catch (e) {
    if (e.data && e.data.errors) showIssues(e.data.errors); else showIssues([{ message: e.message }]);
    return false;
  }
}

async function loadVersions() {
  const tb = $("versions").tBodies[0];
  tb.replaceChildren();
  try {
    const vs = await api("GET", "/api/policy/versions");
    if (!vs.length) tb.append(el("tr", {}, el("td", { colspan: "4" }, "No saved versions yet.")));
    vs.forEach((v, i) => {
      tb.append(el("tr", {},
        el("td", {}, v.time + (i === 0 ? " (current)" : "")),
        el("td", { class: "mono" }, v.hash),
        el("td", {}, v.bytes + " bytes"),
        el("td", {}, i === 0 ? "" : el("button", { type: "button", class: "secondary", onclick: () => rollback(v.id) }, "Roll back to this"))));
    });
  } catch (e) { tb.append(el("tr", {}, el("td", { colspan: "4" }, e.message))); }
}

async function rollback(id) {
  try {
    await api("POST", "/api/policy/rollback", { id });
    const p = await api("GET", "/api/policy");
    $("policy-text").value = p.text;
    highlight();
    setText($("policy-save-status"), "Rolled back to " + id);
    validate();
    loadVersions();
  } catch (e) {
    if (e.data && e.data.errors) showIssues(e.data.errors);
    setText($("policy-save-status"), "Rollback failed: " + e.message);
  }
}

function renderTry(d) {
  const box = $("try-result");
  const parts = el("ul", {});
  for (const p of d.parts) {
    parts.append(el("li", {}, p.text ? el("code", {}, p.text) : "(action)", " → ", p.facets.join(", ") || "no facets", p.deciding ? el("strong", {}, " (deciding part)") : ""));
  }
  box.replaceChildren(
    el("p", {}, el("strong", { class: d.decision }, d.decision.toUpperCase()), " ", el("code", {}, d.input)),
    el("p", {}, el("strong", {}, "Rule: "), ruleText(d.rule)),
    d.reason ? el("p", {}, el("strong", {}, "Reason: "), d.reason) : null,
    parts,
    ...(d.notes || []).map((n) => el("p", { class: "help" }, "Note: " + n)));
}

function initPolicy() {
  api("GET", "/api/policy").then((p) => {
    setText($("policy-path"), p.path + (p.exists ? "" : " (not written yet: showing the built-in default)"));
    $("policy-text").value = p.text;
    highlight();
    validate();
  }).catch((e) => showIssues([{ message: e.message }]));
  $("policy-text").addEventListener("scroll", () => {
    $("policy-hl").scrollTop = $("policy-text").scrollTop;
    $("policy-hl").scrollLeft = $("policy-text").scrollLeft;
  });
  $("policy-text").addEventListener("input", () => {
    highlight();
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validate, 400);
  });
  $("policy-save").addEventListener("click", async () => {
    try {
      const v = await api("POST", "/api/policy/save", { text: $("policy-text").value });
      setText($("policy-save-status"), "Saved as version " + v.id);
      loadVersions();
    } catch (e) {
      if (e.data && e.data.errors) showIssues(e.data.errors);
      setText($("policy-save-status"), "Not saved: " + e.message);
    }
  });
  $("try-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      renderTry(await api("POST", "/api/policy/try", { text: $("policy-text").value, command: $("try-command").value }));
    } catch (e) {
      if (e.data && e.data.errors) showIssues(e.data.errors);
      $("try-result").replaceChildren(el("p", { class: "error" }, e.message));
    }
  });
  $("sim-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const box = $("sim-result");
    box.replaceChildren(el("p", {}, "Simulating…"));
    try {
      const r = await api("POST", "/api/policy/simulate", { text: $("policy-text").value, limit: Number($("sim-limit").value) || 200 });
      renderSimulation(r);
    } catch (e) {
      if (e.data && e.data.errors) showIssues(e.data.errors);
      box.replaceChildren(el("p", { class: "error" }, e.message));
    }
  });
  loadVersions();
}

function renderSimulation(r) {
  const box = $("sim-result");
  const summary = el("p", {}, r.changed.length + " of " + r.checked + " recent shell commands would be decided differently" +
    (r.failed ? " (" + r.failed + " could not be decided)" : "") + ".");
  if (!r.changed.length) { box.replaceChildren(summary); return; }
  const tb = el("tbody", {});
  for (const c of r.changed) {
    tb.append(el("tr", {},
      el("td", {}, c.seq),
      el("td", { class: "mono" }, c.request),
      el("td", { class: c.was }, c.was, c.was_rule ? el("br", {}) : null, c.was_rule ? c.was_rule : null),
      el("td", { class: c.now }, c.now, el("br", {}), c.now_rule)));
  }
  box.replaceChildren(summary, el("div", { class: "scroll" }, el("table", { id: "sim-table" },
    el("caption", { class: "sr" }, "Past decisions the edited policy would change"),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "#"), el("th", { scope: "col" }, "Command"),
      el("th", { scope: "col" }, "Was"), el("th", { scope: "col" }, "Would be"))), tb)));
}

// ---- setup

let planAgent = "";

async function loadAgents() {
  const tb = $("agents").tBodies[0];
  tb.replaceChildren();
  try {
    const s = await api("GET", "/api/setup");
    for (const a of s.agents) {
      tb.append(el("tr", {},
        el("th", { scope: "row" }, a.name),
        el("td", {}, a.detected ? "yes" : "no"),
        el("td", { class: a.installed ? "allow" : "deny" }, a.installed ? "installed" : "not installed"),
        el("td", { class: "mono" }, a.settings),
        el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => plan(a.name) }, "Show install diff"))));
    }
  } catch (e) { tb.append(el("tr", {}, el("td", { colspan: "5" }, e.message))); }
}

async function plan(name) {
  planAgent = name;
  $("plan").hidden = false;
  setText($("plan-title"), "Install plan for " + name);
  setText($("plan-status"), "");
  const pre = $("plan-diff");
  setText(pre, "Loading…");
  try {
    const p = await api("GET", "/api/setup/plan?" + new URLSearchParams({ agent: name }));
    pre.replaceChildren();
    for (const line of p.diff.split("\n")) {
      const cls = line.startsWith("+ ") ? "diff-add" : line.startsWith("- ") ? "diff-del" : "";
      pre.append(el("span", { class: cls }, line + "\n"));
    }
    $("plan-apply").disabled = !p.changed;
    if (!p.changed) setText($("plan-status"), "Already installed; nothing to change.");
  } catch (e) { setText(pre, e.message); }
}

let starters = [];

async function loadStarters() {
  const box = $("starters");
  try {
    starters = await api("GET", "/api/policy/starters");
    box.replaceChildren();
    starters.forEach((st, i) => {
      const id = "starter-" + st.name;
      const input = el("input", { type: "radio", name: "starter", id, value: st.name });
      if (i === 0) input.checked = true;
      box.append(el("div", { class: "starter" }, input,
        el("label", { for: id }, el("strong", {}, st.title), el("br", {}), st.about)));
    });
  } catch (e) { box.replaceChildren(el("p", { class: "error" }, e.message)); }
}

function pickedStarter() {
  const c = document.querySelector("input[name=starter]:checked");
  return starters.find((s) => c && s.name === c.value);
}

function initSetup() {
  loadAgents();
  loadStarters();
  $("starter-preview").addEventListener("click", () => {
    const st = pickedStarter();
    if (!st) return;
    $("starter-text").hidden = false;
    setText($("starter-text"), st.text);
  });
  $("starter-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const st = pickedStarter();
    if (!st) return;
    try {
      const v = await api("POST", "/api/policy/starter", { name: st.name });
      setText($("starter-status"), st.title + " is now your policy (version " + v.id + ").");
      if (loaded.policy) {
        const p = await api("GET", "/api/policy");
        $("policy-text").value = p.text;
        highlight();
        validate();
        loadVersions();
      }
    } catch (e) {
      setText($("starter-status"), "Not saved: " + e.message +
        (e.data && e.data.errors ? " (" + e.data.errors.map((i) => (i.line ? "line " + i.line + ": " : "") + i.message).join("; ") + ")" : ""));
    }
  });
  $("plan-apply").addEventListener("click", async () => {
    try {
      const r = await api("POST", "/api/setup/install", { agent: planAgent });
      setText($("plan-status"), r.output);
      loadAgents();
    } catch (e) { setText($("plan-status"), "Install failed: " + e.message); }
  });
  $("plan-cancel").addEventListener("click", () => { $("plan").hidden = true; });
  $("doctor-run").addEventListener("click", async () => {
    setText($("doctor"), "Running…");
    try {
      const d = await api("GET", "/api/setup/doctor");
      setText($("doctor"), d.output + (d.problem ? "\n" + d.problem : ""));
    } catch (e) { setText($("doctor"), e.message); }
  });
}

const init = { approvals: initApprovals, audit: initAudit, policy: initPolicy, setup: initSetup };

document.addEventListener("DOMContentLoaded", async () => {
  const meta = document.querySelector('meta[name="safeclaw-csrf"]');
  if (meta) {
    sessionStorage.setItem("safeclaw-csrf", meta.getAttribute("content"));
    meta.remove();
    // The spent login token leaves the address bar.
    history.replaceState(null, "", "/" + location.hash);
  }
  csrf = sessionStorage.getItem("safeclaw-csrf") || "";
  try {
    await api("GET", "/api/session");
  } catch (e) {
    status("Not logged in in this tab: open a new login link from 'safeclaw ui' (each link works once).");
    return;
  }
  window.addEventListener("hashchange", show);
  show();
});
