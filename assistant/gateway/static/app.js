// The demo page: a chat panel that talks to /api/chat and the app's search box
// (/api/suggest while typing, /api/search on enter). While a human agent has the
// conversation, the page polls /api/chat/updates for their replies. Everything is
// rendered with textContent, never innerHTML, so no message can inject markup.
(function () {
  "use strict";

  const { $, el } = window.AppCommon;
  const auth = window.AppCommon.session("customer", "demo", startPolling);
  const api = auth.api;
  // summaryKey: the key of the last summary this page showed; every message names it, so a 确认
  // confirms what this page showed and never details changed meanwhile from another device.
  const state = { get token() { return auth.token; }, sending: false, seen: new Set(), since: 0,
                  polling: null, withAgent: false, summaryKey: null };

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
          const key = data && data.summary_key;  // a summary's 确认 confirms that summary
          btn.addEventListener("click", () => send(b.payload || title, title, key));
          row.appendChild(btn);
        }
      });
      box.appendChild(row);
    }
    $("chat-log").appendChild(box);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
    return box;
  }

  function kindOf(data) {
    if (data && data.from_agent) return "agent";
    return data && data.from === "system" ? "system" : "bot";
  }

  // Agent and desk lines carry a message_id: shown once, whether they came with a reply or a poll.
  function showReply(m) {
    const id = m.data && m.data.message_id;
    if (id) {
      if (state.seen.has(id)) return;
      state.seen.add(id);
      state.since = Math.max(state.since, id);
    }
    if (m.data && m.data.summary_key) state.summaryKey = m.data.summary_key;
    addMessage(kindOf(m.data), m.text, m.buttons, m.data);
  }

  // Poll only while an agent has (or is about to have) the conversation; once it ends, stop.
  function showHandoff(handoff) {
    state.withAgent = !!handoff;
    if (handoff && !state.polling) state.polling = setInterval(poll, 2000);
    if (!handoff && state.polling) { clearInterval(state.polling); state.polling = null; }
    const note = $("handoff-status");
    if (!handoff) { note.hidden = true; return; }
    note.hidden = false;
    note.textContent = handoff.status === "queued"
      ? "正在为您转接人工客服，当前排在第 " + handoff.position + " 位"
      : "人工客服 " + (handoff.agent_id || "") + " 正在为您服务";
  }

  async function poll(firstLoad) {
    if (!state.token) return;
    try {
      const data = await api("/api/chat/updates?since=" + state.since);
      // On a fresh page, past agent conversations are history: show them only if one is still going.
      if (!firstLoad || data.handoff) (data.messages || []).forEach(showReply);
      state.since = Math.max(state.since, data.next || 0);
      showHandoff(data.handoff);
    } catch (e) { /* try again on the next tick */ }
  }

  // After a reload: pick up what an agent said meanwhile, and resume polling if they still have us.
  function startPolling() { poll(true); }

  async function send(text, shown, summaryKey) {
    text = (text || "").trim();
    if (!text || state.sending) return;
    state.sending = true;
    addMessage("user", shown || text);
    const body = { message: text };
    if (summaryKey || state.summaryKey) body.summary_key = summaryKey || state.summaryKey;
    try {
      const reply = await api("/api/chat", { method: "POST", body: body });
      (reply.messages || []).forEach(showReply);
      showHandoff(reply.handoff);
      if ((!reply.messages || !reply.messages.length) && !reply.handoff) addMessage("bot", "（助手没有回复）");
    } catch (e) {
      addMessage("error", e.message);
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

  auth.login();
})();
