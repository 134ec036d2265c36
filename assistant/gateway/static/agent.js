// The agents' desk: the queue (refreshed every few seconds), a conversation's summary and
// masked transcript, claim / reply / return to the bot / close, all through /api/agent/*.
(function () {
  "use strict";

  const { $, el } = window.AppCommon;
  const WHO = { customer: "客户", bot: "助手", agent: "客服", system: "系统" };
  const STATUS = { queued: "排队中", claimed: "服务中", closed: "已结束", returned: "已交还助手" };
  const auth = window.AppCommon.session("agent", "agent1", start);
  const state = { current: null };

  function notice(text) { $("notice").textContent = text || ""; }

  async function refreshQueue() {
    let data;
    try { data = await auth.api("/api/agent/handoffs"); } catch (e) { notice(e.message); return; }
    const list = $("queue");
    list.textContent = "";
    data.handoffs.forEach((h) => {
      const li = el("li");
      li.dataset.id = h.id;
      if (state.current === h.id) li.classList.add("active");
      li.appendChild(el("div", "", "#" + h.id + " 客户 " + h.customer_id + " · " + (STATUS[h.status] || h.status)));
      li.appendChild(el("div", "meta", h.reason_text + (h.position ? " · 第 " + h.position + " 位" : "")));
      li.addEventListener("click", () => open(h.id));
      list.appendChild(li);
    });
    $("queue-count").textContent = data.handoffs.length ? "（" + data.handoffs.length + "）" : "（空）";
  }

  async function open(id) {
    state.current = id;
    let data;
    try { data = await auth.api("/api/agent/handoffs/" + id); } catch (e) { notice(e.message); return; }
    const h = data.handoff;
    $("title").textContent = "#" + h.id + " 客户 " + h.customer_id + " · " + (STATUS[h.status] || h.status);
    $("summary").textContent = h.summary;
    const mine = h.status === "claimed" && h.agent_id === auth.sub;
    $("claim").hidden = h.status !== "queued";
    $("return").hidden = !mine;
    $("close").hidden = !mine;
    $("reply-form").hidden = !mine;
    const box = $("transcript");
    box.textContent = "";
    data.transcript.forEach((line) => {
      const row = el("div", "line " + line.sender);
      row.dataset.id = line.id;
      row.appendChild(el("span", "who", (WHO[line.sender] || line.sender) + "："));
      row.appendChild(el("span", "text", line.text));
      box.appendChild(row);
    });
    box.scrollTop = box.scrollHeight;
    [...$("queue").children].forEach((li) => li.classList.toggle("active", Number(li.dataset.id) === id));
  }

  async function act(path, body, done) {
    if (!state.current) return;
    try {
      await auth.api("/api/agent/handoffs/" + state.current + path, { method: "POST", body: body || {} });
      notice(done);
    } catch (e) { notice(e.message); }
    await open(state.current);
    await refreshQueue();
  }

  $("claim").addEventListener("click", () => act("/claim", null, "已接入，客户会收到提示"));
  $("return").addEventListener("click", () => act("/return", null, "已交还智能助手"));
  $("close").addEventListener("click", () => act("/close", null, "会话已结束"));
  $("reply-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("reply-input").value.trim();
    if (!text) return;
    $("reply-input").value = "";
    act("/messages", { text: text }, "已发送");
  });

  function start() {
    refreshQueue();
    setInterval(() => { refreshQueue(); if (state.current) open(state.current); }, 3000);
  }

  auth.login();
})();
