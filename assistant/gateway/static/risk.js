// The back office's review queue: transfers the bank held for review (refreshed every few seconds),
// one's reasons and the customer's masked conversation, and 放行 / 取消 through /api/risk/*.
// The bank decides atomically: when a colleague decided first, the page says so (409) and refreshes.
(function () {
  "use strict";

  const { $, el } = window.AppCommon;
  const auth = window.AppCommon.session("risk", "risk1", start);
  const state = { current: null, items: [] };

  function notice(text) { $("notice").textContent = text || ""; }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString("zh-CN", { hour12: false });
  }

  async function refresh() {
    let data;
    try { data = await auth.api("/api/risk/held"); } catch (e) { notice(e.message); return; }
    state.items = data.held;
    const list = $("held");
    list.textContent = "";
    data.held.forEach((h) => {
      const li = el("li");
      li.dataset.id = h.id;
      if (state.current === h.id) li.classList.add("active");
      li.appendChild(el("div", "", "#" + h.id + " 客户 " + h.customer_id + " · " + h.amount + " → " + h.recipient));
      li.appendChild(el("div", "meta", when(h.created_at) + " · " + h.reasons.map((r) => r.text).join("；")));
      li.addEventListener("click", () => show(h.id));
      list.appendChild(li);
    });
    $("held-count").textContent = data.held.length ? "（" + data.held.length + "）" : "（空）";
    if (state.current !== null) show(state.current);
  }

  function show(id) {
    state.current = id;
    const h = state.items.find((item) => item.id === id);
    [...$("held").children].forEach((li) => li.classList.toggle("active", Number(li.dataset.id) === id));
    $("release").hidden = !h;
    $("cancel").hidden = !h;
    if (!h) {
      $("title").textContent = "#" + id + " 已处理";
      $("detail").textContent = "";
      $("reasons").textContent = "";
      $("conversation").textContent = "";
      return;
    }
    $("title").textContent = "#" + h.id + " 客户 " + h.customer_id + " · " + h.amount;
    $("detail").textContent =
      "收款方：" + h.recipient + "；付款账户：" + h.from_account + "；发起时间：" + when(h.created_at);
    const reasons = $("reasons");
    reasons.textContent = "";
    h.reasons.forEach((r) => reasons.appendChild(el("li", "", r.text)));
    const box = $("conversation");
    box.textContent = "";
    h.conversation.forEach((line) => {
      const row = el("div", "line customer");
      row.appendChild(el("span", "who", when(line.at) + " 客户："));
      row.appendChild(el("span", "text", line.text));
      box.appendChild(row);
    });
    box.scrollTop = box.scrollHeight;
  }

  async function decide(action, done) {
    if (state.current === null) return;
    const id = state.current;
    try {
      await auth.api("/api/risk/held/" + id + "/" + action, { method: "POST", body: {} });
      notice("#" + id + " " + done + "，客户会在对话中收到通知");
    } catch (e) {
      notice(e.status === 409 ? "#" + id + " 已由他人处理：" + e.message : e.message);
    }
    await refresh();
  }

  $("release").addEventListener("click", () => decide("release", "已放行"));
  $("cancel").addEventListener("click", () => decide("cancel", "已取消"));

  function start() {
    $("whoami").textContent = "风控复核：" + auth.sub;
    refresh();
    setInterval(refresh, 3000);
  }

  auth.login();
})();
