// Shared by the pages: DOM helpers, the JSON API client and the login (a dev token in dev,
// otherwise a pasted token). Text is always set with textContent, never innerHTML.
window.AppCommon = (function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const ROLE_NAMES = { customer: "客户", agent: "客服", trainer: "训练师", admin: "管理员" };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function session(role, defaultSub, onReady) {
    const key = "assistant_token_" + role;
    const s = { token: sessionStorage.getItem(key) || "", sub: "" };

    s.api = async function (path, options) {
      const opts = Object.assign({ headers: {} }, options || {});
      if (s.token) opts.headers["Authorization"] = "Bearer " + s.token;
      if (opts.body && typeof opts.body !== "string") {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(opts.body);
      }
      const resp = await fetch(path, opts);
      let data = null;
      try { data = await resp.json(); } catch (e) { data = null; }
      if (!resp.ok) {
        const err = new Error(data && data.error ? data.error.message : "网络异常，请稍后再试");
        err.status = resp.status;
        if (resp.status === 401) { sessionStorage.removeItem(key); s.token = ""; s.login(); }
        throw err;
      }
      return data;
    };

    s.login = async function () {
      if (!s.token) {
        try {
          s.token = (await s.api("/api/dev/token?sub=" + encodeURIComponent(defaultSub) + "&role=" + role)).token;
        } catch (e) {
          $("login").hidden = false;
          return;
        }
      }
      sessionStorage.setItem(key, s.token);
      try {
        const claims = JSON.parse(atob(s.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
        s.sub = claims.sub;
        $("whoami").textContent = (ROLE_NAMES[claims.role] || claims.role) + "：" + claims.sub;
      } catch (e) {
        $("whoami").textContent = "已登录";
      }
      if (onReady) onReady();
    };

    $("login-save").addEventListener("click", () => {
      s.token = $("login-token").value.trim();
      $("login").hidden = true;
      s.login();
    });
    return s;
  }

  return { $: $, el: el, session: session };
})();
