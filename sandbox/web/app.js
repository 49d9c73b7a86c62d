// The sandbox page: two phones, each one a demo person chatting with the
// bot through the sandbox's Telegram. Plain JavaScript, no build step.
"use strict";

const state = { people: [], rtl: [] };
const phones = [];

function $(root, sel) { return root.querySelector(sel); }

async function api(method, url, body) {
  const res = await fetch(url, {
    method, headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(await res.text());
  return res.json();
}

function status(text) { document.getElementById("status").textContent = text; }

function person(tg) { return state.people.find((p) => p.tg === tg); }

function isRTL(lang) { return state.rtl.includes(lang); }

// Formatting entities (offsets in UTF-16 units, as JavaScript strings are).
const TAGS = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre", spoiler: "span" };
function render(text, entities) {
  const frag = document.createDocumentFragment();
  const cuts = new Set([0, text.length]);
  (entities || []).forEach((e) => { if (TAGS[e.type] || e.type === "text_link") { cuts.add(e.offset); cuts.add(e.offset + e.length); } });
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i], b = points[i + 1];
    let node = document.createTextNode(text.slice(a, b));
    (entities || []).forEach((e) => {
      if (e.offset <= a && b <= e.offset + e.length) {
        let el;
        if (e.type === "text_link") { el = document.createElement("a"); el.href = e.url; el.target = "_blank"; }
        else if (TAGS[e.type]) el = document.createElement(TAGS[e.type]);
        if (el) { el.appendChild(node); node = el; }
      }
    });
    frag.appendChild(node);
  }
  return frag;
}

class Phone {
  constructor(el, index) {
    this.el = el;
    this.index = index;
    el.appendChild(document.getElementById("phone-template").content.cloneNode(true));
    this.picker = $(el, ".picker");
    this.list = $(el, ".messages");
    this.kb = $(el, ".kb");
    this.input = $(el, ".entry");
    this.tg = 0;
    this.loading = null;
    this.again = false;
    this.picker.addEventListener("change", () => this.choose(Number(this.picker.value)));
    $(el, ".compose").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (text) { this.input.value = ""; this.send(text); }
    });
    $(el, ".signup").addEventListener("click", () => {
      const p = person(this.tg);
      if (p && p.code) this.send("/start " + p.code);
    });
  }

  fillPicker() {
    const keep = this.tg;
    this.picker.textContent = "";
    state.people.forEach((p) => {
      const o = document.createElement("option");
      o.value = p.tg;
      o.textContent = `${p.name} · ${p.role} · ${p.lang}${p.room ? " · room " + p.room : ""}`;
      o.dataset.ext = p.ext;
      this.picker.appendChild(o);
    });
    const wanted = keep ? person(keep) : state.people.find((p) => p.ext === this.el.dataset.default);
    if (wanted) this.picker.value = wanted.tg;
    this.tg = Number(this.picker.value);
    this.describe();
  }

  describe() {
    const p = person(this.tg);
    if (!p) return;
    this.el.dataset.ext = p.ext;
    this.el.dataset.tg = p.tg;
    this.el.dir = isRTL(p.lang) ? "rtl" : "ltr";
    $(this.el, ".who").textContent = p.linked ? `signed up · reads ${p.lang}` : "not signed up yet";
    const bar = $(this.el, ".signup-bar");
    bar.hidden = p.linked || !p.code;
    $(this.el, ".signup-text").textContent = p.code ? `Invite code from the front desk: ${p.code}` : "";
  }

  choose(tg) {
    this.tg = tg;
    this.describe();
    this.list.textContent = "";
    this.load();
  }

  async send(text) {
    try { await api("POST", "/api/send", { tg: this.tg, text }); } catch (e) { status(e.message); }
  }

  async press(message, data) {
    try {
      const res = await api("POST", "/api/press", { tg: this.tg, message, data });
      if (res.answer) this.toast(res.answer);
    } catch (e) { status(e.message); }
  }

  toast(text) {
    const t = document.createElement("div");
    t.className = "toast";
    t.textContent = text;
    this.list.appendChild(t);
    this.list.scrollTop = this.list.scrollHeight;
    setTimeout(() => t.remove(), 2500);
  }

  // load fetches the chat again; loads asked meanwhile are coalesced.
  load() {
    if (this.loading) { this.again = true; return; }
    this.loading = (async () => {
      try {
        const chat = await api("GET", "/api/chat/" + this.tg);
        this.draw(chat);
      } catch (e) { status(e.message); }
      this.loading = null;
      if (this.again) { this.again = false; this.load(); }
    })();
  }

  draw(chat) {
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const seen = new Map([...this.list.querySelectorAll(".msg")].map((m) => [Number(m.dataset.id), m]));
    let grew = false;
    chat.messages.forEach((m, i) => {
      const node = this.message(m);
      const old = seen.get(m.id);
      if (old) {
        // An edit replaces the message where it stands.
        if (old.dataset.sig !== node.dataset.sig) old.replaceWith(node);
        seen.delete(m.id);
      } else {
        this.list.appendChild(node);
        grew = true;
      }
    });
    seen.forEach((m) => m.remove()); // deleted by the bot
    this.keyboard(chat.keyboard);
    if (grew || atBottom) this.list.scrollTop = this.list.scrollHeight;
  }

  message(m) {
    const wrap = document.createElement("div");
    wrap.className = "msg " + (m.mine ? "me" : "bot");
    wrap.dataset.id = m.id;
    wrap.dataset.sig = JSON.stringify([m.text, m.inline, m.edited, m.file]);
    const b = document.createElement("div");
    b.className = "bubble";
    b.dir = "auto";
    if (m.kind === "photo" && m.file) {
      const img = document.createElement("img");
      img.src = m.file; img.alt = m.fileName || "photo";
      b.appendChild(img);
    } else if (m.kind === "document" && m.file) {
      const a = document.createElement("a");
      a.className = "doc"; a.href = m.file; a.target = "_blank";
      a.textContent = m.fileName || "document";
      b.appendChild(a);
    }
    const body = document.createElement("span");
    body.className = "text";
    body.appendChild(render(m.text, m.entities));
    b.appendChild(body);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = (m.edited ? "edited " : "") + m.at;
    b.appendChild(meta);
    wrap.appendChild(b);
    if (m.inline && m.inline.length) {
      const kb = document.createElement("div");
      kb.className = "inline";
      m.inline.forEach((row) => {
        const r = document.createElement("div");
        r.className = "row";
        row.forEach((btn) => {
          const x = document.createElement("button");
          x.type = "button"; x.dir = "auto";
          x.textContent = btn.text;
          if (btn.url) x.addEventListener("click", () => window.open(btn.url, "_blank"));
          else x.addEventListener("click", () => this.press(m.id, btn.callback_data));
          x.dataset.data = btn.callback_data || "";
          r.appendChild(x);
        });
        kb.appendChild(r);
      });
      wrap.appendChild(kb);
    }
    return wrap;
  }

  keyboard(rows) {
    this.kb.textContent = "";
    (rows || []).forEach((row) => {
      const r = document.createElement("div");
      r.className = "row";
      row.forEach((text) => {
        const x = document.createElement("button");
        x.type = "button"; x.dir = "auto";
        x.textContent = text;
        x.addEventListener("click", () => this.send(text));
        r.appendChild(x);
      });
      this.kb.appendChild(r);
    });
  }
}

async function loadState() {
  const s = await api("GET", "/api/state");
  state.people = s.people;
  state.rtl = s.rtl;
  document.getElementById("clock").textContent = s.clock;
  document.body.dataset.now = s.now;
  phones.forEach((p) => (p.tg ? p.describe() : p.fillPicker()));
}

async function clock(how) {
  const buttons = document.querySelectorAll("#banner button");
  buttons.forEach((b) => (b.disabled = true));
  try {
    await api("POST", "/api/clock/" + how);
    await loadState();
    status("");
  } catch (e) { status(e.message); }
  buttons.forEach((b) => (b.disabled = false));
}

async function reset() {
  if (!confirm("Recreate the demo data? Every chat starts again.")) return;
  const buttons = document.querySelectorAll("#banner button");
  buttons.forEach((b) => (b.disabled = true));
  status("Recreating the demo…");
  try {
    await api("POST", "/api/reset");
    await loadState();
    phones.forEach((p) => { p.tg = 0; p.fillPicker(); p.choose(p.tg); });
    status("Demo recreated.");
  } catch (e) { status(e.message); }
  buttons.forEach((b) => (b.disabled = false));
}

function listen() {
  const es = new EventSource("/api/events");
  es.onmessage = (ev) => {
    const e = JSON.parse(ev.data);
    if (e.chat) phones.forEach((p) => { if (p.tg === e.chat) p.load(); });
    if (e.chat || e.clock) loadState().catch(() => {});
  };
  es.onopen = () => { document.body.dataset.live = "1"; };
}

async function main() {
  document.querySelectorAll(".phone").forEach((el, i) => phones.push(new Phone(el, i)));
  const params = new URLSearchParams(location.search);
  ["left", "right"].forEach((k, i) => { if (params.get(k)) phones[i].el.dataset.default = params.get(k); });
  document.getElementById("next").addEventListener("click", () => clock("next"));
  document.getElementById("hour").addEventListener("click", () => clock("hour"));
  document.getElementById("day").addEventListener("click", () => clock("day"));
  document.getElementById("reset").addEventListener("click", reset);
  listen();
  await loadState();
  phones.forEach((p) => p.load());
  document.body.dataset.ready = "1";
}

main().catch((e) => status(e.message));
