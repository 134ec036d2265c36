// The trainers' desk: label or dismiss what the bot missed, retrain and publish, and the
// statistics (drawn as plain bars, no chart library), through /api/trainer/* and /api/admin/stats.
(function () {
  "use strict";

  const { $, el } = window.AppCommon;
  const REASONS = { fallback: "未识别", corrected: "客户选了其他意思", handoff: "转人工前", said_wrong: "客户说不对", rephrased: "客户立刻换了说法", abandoned: "刚开始就取消" };
  const TRAIN = { idle: "尚未训练", running: "训练中…", published: "已发布", refused: "已拒绝（准确率下降）", failed: "失败" };
  const auth = window.AppCommon.session("trainer", "trainer1", start);
  let intents = [];

  function notice(text) { $("notice").textContent = text || ""; }

  function parseEntities(raw) {
    return raw.split(/[,，]/).map((p) => p.trim()).filter(Boolean).map((p) => {
      const i = p.indexOf("=");
      return { entity: p.slice(0, i).trim(), text: p.slice(i + 1).trim() };
    });
  }

  function inboxRow(item) {
    const li = el("li");
    li.dataset.id = item.id;
    li.appendChild(el("div", "", item.text));
    li.appendChild(el("div", "meta", (REASONS[item.reason] || item.reason) + " · 预测 " + (item.predicted_intent || "无") +
      " " + item.confidence.toFixed(2) + (item.suggested_intent ? " · 客户选择 " + item.suggested_intent : "")));
    const form = el("form", "desk-form");
    const select = el("select");
    select.setAttribute("aria-label", "意图");
    intents.forEach((i) => {
      const opt = el("option", "", i.label === i.name ? i.name : i.name + "（" + i.label + "）");
      opt.value = i.name;
      select.appendChild(opt);
    });
    select.value = item.suggested_intent || item.predicted_intent || "";
    const ents = el("input");
    ents.placeholder = "实体（可选）";
    const label = el("button", "", "标注");
    const dismiss = el("button", "", "忽略");
    dismiss.type = "button";
    form.append(select, ents, label, dismiss);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const res = await auth.api("/api/trainer/inbox/" + item.id + "/label",
          { method: "POST", body: { intent: select.value, entities: parseEntities(ents.value) } });
        notice(res.added ? "已写入 " + res.file + "：" + res.example : "训练数据里已有这句，未重复添加");
      } catch (e) { notice(e.message); }
      loadInbox();
    });
    dismiss.addEventListener("click", async () => {
      try { await auth.api("/api/trainer/inbox/" + item.id + "/dismiss", { method: "POST" }); } catch (e) { notice(e.message); }
      loadInbox();
    });
    li.appendChild(form);
    return li;
  }

  async function loadInbox() {
    let data;
    try { data = await auth.api("/api/trainer/inbox"); } catch (e) { notice(e.message); return; }
    intents = data.intents;
    const list = $("inbox");
    list.textContent = "";
    data.items.forEach((item) => list.appendChild(inboxRow(item)));
    $("inbox-count").textContent = "（" + data.items.length + "）";
  }

  function bars(box, rows) {
    box.textContent = "";
    const max = Math.max(1, ...rows.map((r) => r.value));
    rows.forEach((r) => {
      const row = el("div", "bar");
      row.appendChild(el("span", "name", r.name));
      const fill = el("span", "fill");
      fill.style.width = Math.max(2, Math.round(150 * r.value / max)) + "px";
      row.appendChild(fill);
      row.appendChild(el("span", "", r.label || String(r.value)));
      box.appendChild(row);
    });
  }

  async function loadStats() {
    const params = new URLSearchParams();
    if ($("range-from").value) params.set("from", $("range-from").value);
    if ($("range-to").value) params.set("to", $("range-to").value);
    let s;
    try { s = await auth.api("/api/admin/stats?" + params); } catch (e) { notice(e.message); return; }
    const kpis = $("kpis");
    kpis.textContent = "";
    const pct = (x) => (x * 100).toFixed(1) + "%";
    const signs = s.miss_sign_rates || {};
    [["消息数", s.messages], ["未识别率", pct(s.fallback_rate)], ["答错迹象", pct(s.miss_sign_rate || 0)],
     ["说“不对”", pct(signs.said_wrong || 0)], ["立刻换说法", pct(signs.rephrased || 0)],
     ["刚开始就放弃", pct(signs.abandoned || 0)], ["答后转人工", pct(signs.handoff || 0)], ["会话数", s.conversations],
     ["转人工", s.handoffs], ["转人工率", (s.handoff_rate * 100).toFixed(1) + "%"]].forEach(([name, value]) => {
      const k = el("div", "kpi", name);
      k.appendChild(el("b", "", String(value)));
      kpis.appendChild(k);
    });
    bars($("intent-chart"), Object.entries(s.messages_per_intent).map(([name, value]) => (
      { name: (s.intent_labels[name] || name) + " " + name, value: value })));
    bars($("daily-chart"), s.daily.map((d) => ({ name: d.date, value: d.messages, label: d.messages + " / " + d.fallbacks })));
    const top = $("top-missed");
    top.textContent = "";
    s.top_missed.forEach((m) => top.appendChild(el("li", "", m.text + "（" + m.count + " 次）")));
  }

  async function trainState() {
    try {
      const job = (await auth.api("/api/trainer/train")).job;
      const result = job.result;
      let text = TRAIN[job.status] || job.status;
      if (result && job.status !== "running") {
        text += " · 上次结果：" + (TRAIN[result.status] || result.status) + " " + (result.model || "");
        if (result.decision) text += "（" + result.decision.reason + "）";
        if (result.error) text += "（" + result.error + "）";
      }
      if (job.status === "running" && job.log.length) text += " " + job.log[job.log.length - 1];
      $("train-status").textContent = text;
      $("train").disabled = job.status === "running";
      $("force").hidden = job.status === "running" || !result || result.status !== "refused";
    } catch (e) { $("train-status").textContent = e.message; }
  }

  async function train(force) {
    try { await auth.api("/api/trainer/train", { method: "POST", body: { force: force } }); } catch (e) { notice(e.message); }
    trainState();
  }

  $("train").addEventListener("click", () => train(false));
  $("force").addEventListener("click", () => {
    if (window.confirm("新模型在评测集上的准确率下降超过 1 个百分点，确定仍然发布吗？")) train(true);
  });
  $("range-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadStats(); });

  function start() {
    loadInbox();
    loadStats();
    trainState();
    setInterval(trainState, 5000);
  }

  auth.login();
})();
