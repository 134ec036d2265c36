// The demo page: a chat panel that talks to /api/chat and the app's search box
// (/api/suggest while typing, /api/search on enter). Everything is rendered with
// textContent, never innerHTML, so no message or search text can inject markup.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const state = { token: sessionStorage.getItem("assistant_token") || "", sending: false };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    if (state.token) opts.headers["Authorization"] = "Bearer " + state.token;
    if (opts.body && typeof opts.body !== "string") {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.body);
    }
    const resp = await fetch(path, opts);
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const message = data && data.error ? data.error.message : "网络异常，请稍后再试";
      const err = new Error(message);
      err.status = resp.status;
      throw err;
    }
    return data;
  }

  // ------------------------------------------------------------------ login
  async function login() {
    if (!state.token) {
      try {
        const dev = await api("/api/dev/token?sub=demo");
        state.token = dev.token;
      } catch (e) {
        $("login").hidden = false;
        return;
      }
    }
    sessionStorage.setItem("assistant_token", state.token);
    try {
      const claims = JSON.parse(atob(state.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      $("whoami").textContent = "客户：" + claims.sub;
    } catch (e) {
      $("whoami").textContent = "已登录";
    }
  }

  $("login-save").addEventListener("click", () => {
    state.token = $("login-token").value.trim();
    $("login").hidden = true;
    login();
  });

  // ------------------------------------------------------------------ chat
  function addMessage(kind, text, buttons, data) {
    const box = el("div", "msg " + kind, text || "");
    if (data && data.understood_text && data.understood_text !== text) {
      box.appendChild(el("div", "tag", "识别为：" + data.understood_text));
    }
    if (buttons && buttons.length) {
      const row = el("div", "buttons");
      buttons.forEach((b) => {
        const title = b.title || b.payload || "";
        const link = b.url || (typeof b.payload === "string" && b.payload.startsWith("app://") ? b.payload : "");
        if (link) {
          const a = el("a", "", title);
          a.href = link;
          a.dataset.deeplink = link;
          row.appendChild(a);
        } else {
          const btn = el("button", "", title);
          btn.type = "button";
          btn.addEventListener("click", () => send(b.payload || title, title));
          row.appendChild(btn);
        }
      });
      box.appendChild(row);
    }
    $("chat-log").appendChild(box);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
    return box;
  }

  async function send(text, shown) {
    text = (text || "").trim();
    if (!text || state.sending) return;
    state.sending = true;
    addMessage("user", shown || text);
    try {
      const reply = await api("/api/chat", { method: "POST", body: { message: text } });
      (reply.messages || []).forEach((m) => addMessage(m.data && m.data.from_agent ? "agent" : "bot", m.text, m.buttons, m.data));
      if (!reply.messages || !reply.messages.length) addMessage("bot", "（助手没有回复）");
    } catch (e) {
      addMessage("error", e.message);
      if (e.status === 401) { sessionStorage.removeItem("assistant_token"); state.token = ""; login(); }
    } finally {
      state.sending = false;
    }
  }

  $("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("chat-input");
    const text = input.value;
    input.value = "";
    send(text);
  });

  // ------------------------------------------------------------------ search
  let suggestTimer = null;
  let suggestSeq = 0;

  function hideSuggestions() { $("suggestions").hidden = true; }

  function renderSuggestions(items) {
    const list = $("suggestions");
    list.textContent = "";
    items.forEach((item) => {
      const li = el("li");
      li.setAttribute("role", "option");
      li.dataset.id = item.id;
      li.appendChild(el("span", "", item.title));
      li.appendChild(el("span", "tag", item.type_label || item.type));
      li.addEventListener("mousedown", (ev) => {
        ev.preventDefault();
        $("search-input").value = item.title;
        hideSuggestions();
        runSearch(item.title);
      });
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
  }

  async function suggest(q) {
    const seq = ++suggestSeq;
    if (!q.trim()) { hideSuggestions(); return; }
    try {
      const data = await api("/api/suggest?q=" + encodeURIComponent(q));
      if (seq === suggestSeq) renderSuggestions(data.suggestions || []);
    } catch (e) {
      if (seq === suggestSeq) { hideSuggestions(); $("search-status").textContent = e.status === 404 ? "搜索功能暂未就绪" : e.message; }
    }
  }

  async function runSearch(q) {
    const results = $("search-results");
    results.textContent = "";
    if (!q.trim()) return;
    try {
      const data = await api("/api/search?q=" + encodeURIComponent(q) + "&limit=10");
      $("search-status").textContent = data.results.length
        ? "共 " + data.results.length + " 条结果，用时 " + data.took_ms + " 毫秒"
        : "没有找到相关内容，换个词试试";
      data.results.forEach((r) => {
        const li = el("li");
        li.dataset.id = r.id;
        const a = el("a", "", r.title);
        a.href = r.deeplink;
        a.addEventListener("click", () => {
          if (state.token) api("/api/click", { method: "POST", body: { id: r.id, query: q } }).catch(() => {});
        });
        li.appendChild(a);
        li.appendChild(el("span", "sub", (r.subtitle || "") + (r.answer ? " " + r.answer : "")));
        results.appendChild(li);
      });
    } catch (e) {
      $("search-status").textContent = e.status === 404 ? "搜索功能暂未就绪" : e.message;
    }
  }

  $("search-input").addEventListener("input", (ev) => {
    clearTimeout(suggestTimer);
    const q = ev.target.value;
    suggestTimer = setTimeout(() => suggest(q), 80);
  });
  $("search-input").addEventListener("blur", () => setTimeout(hideSuggestions, 150));
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    hideSuggestions();
    runSearch($("search-input").value);
  });

  login();
})();
