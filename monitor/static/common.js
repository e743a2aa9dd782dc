/* crampwatch dashboard: shared helpers (no framework, no network beyond this server). */
"use strict";

const CW = (() => {
  const LEVELS = ["low", "elevated", "high", "critical"];
  const LEVEL_WORD = { low: "Low", elevated: "Elevated", high: "High", critical: "Critical" };
  const ALERT_WORD = { advice: "Advice", warning: "Warning", critical: "Critical" };

  /** Human-readable reason for a risk factor; ``s`` is the status (for numbers where known). */
  const REASONS = {
    pace_over_training: (s) => {
      const r = num(s.pace_over_training);
      if (r === null) return "Faster than training pace";
      const pct = Math.round((r - 1) * 100);
      return pct > 0 ? `${pct} % faster than training pace` : "Pace near training pace";
    },
    intensity: () => "Heart rate high for a long time",
    duration: () => "Longer than usual run",
    heat: (s) => (num(s.temp) !== null ? `Heat (${Math.round(s.temp)} °C)` : "Heat"),
    sweat_loss: () => "Sweat loss (dehydration)",
    fatigue: () => "Tiring stride (cadence falling)",
    decoupling: () => "Heart rate drifting from pace",
    cardiac_drift: () => "Heart rate creeping up",
    monotony: () => "Same effort for a long time",
    acute_cramp: () => "Cramp signature now",
    cramp_history: () => "Has cramped before",
    recent_injury: () => "Recent injury",
    sex: () => "Sex (risk trait)",
    age: () => "Age (risk trait)",
  };

  function num(v) {
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  }

  function reasonText(name, status) {
    if (!name) return "";
    const f = REASONS[name];
    if (f) return f(status || {});
    const words = String(name).replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  /** The factor with the largest positive contribution. */
  function topReason(factors) {
    let best = null;
    for (const [k, v] of Object.entries(factors || {})) {
      if (num(v) !== null && v > 0 && (best === null || v > best[1])) best = [k, v];
    }
    return best ? best[0] : null;
  }

  function levelRank(level) {
    return LEVELS.indexOf(level);
  }

  /** Riskiest first: level, then risk, then name. */
  function compareTiles(a, b) {
    return (
      levelRank(b.level) - levelRank(a.level) ||
      (num(b.risk) ?? -1) - (num(a.risk) ?? -1) ||
      displayName(a).localeCompare(displayName(b))
    );
  }

  function displayName(t) {
    return t.name || t.athlete;
  }

  function fmtPace(s) {
    const v = num(s);
    if (v === null) return "—";
    if (v > 1200) return "stopped";
    const total = Math.round(v);
    return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
  }

  function fmtNum(v, digits = 0) {
    const x = num(v);
    return x === null ? "—" : x.toFixed(digits);
  }

  function fmtElapsed(s) {
    const v = num(s);
    if (v === null) return "—";
    const t = Math.max(0, Math.round(v));
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const sec = String(t % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  function fmtClock(t) {
    const v = num(t);
    if (v === null) return "";
    const d = new Date(v * 1000);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, "0")).join(":");
  }

  function fmtAgo(seconds) {
    if (seconds < 90) return `${Math.round(seconds)} s ago`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
    return `${Math.round(seconds / 3600)} h ago`;
  }

  /** Create an element safely: attrs (class, dataset via data-*, text, on*), children (nodes or strings). */
  function el(tag, attrs, ...children) {
    const ns = attrs && attrs.svg ? "http://www.w3.org/2000/svg" : null;
    const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false || k === "svg") continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    return el(tag, Object.assign({ svg: true }, attrs), ...children);
  }

  /** The coach token (monitor --http-token), if given: from the page URL's ``#token=…`` (then removed from the
   * address bar) or typed in when the server asks (401); kept for this tab only. */
  const TOKEN_KEY = "crampwatch-token";
  function authHeaders() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /** POST JSON (a coach action); resolves to the JSON answer, rejects with an Error carrying the server's message.
   * On 401 the coach is asked for the token once. */
  async function post(path, data) {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(path, {
        method: "POST",
        headers: Object.assign({ "Content-Type": "application/json" }, authHeaders()),
        body: JSON.stringify(data),
      });
      if (res.status === 401 && attempt === 0) {
        const token = window.prompt("Coach token (crampwatch monitor --http-token):");
        if (token) {
          sessionStorage.setItem(TOKEN_KEY, token.trim());
          continue;
        }
      }
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
      return body;
    }
  }

  /** POST /api/ack. */
  function ack(squad, athlete, alertId) {
    return post("/api/ack", { squad, athlete, alert_id: alertId });
  }

  /** Connect to /events; handlers: snapshot, status, alert, ack. Shows the state in #conn. */
  function connect(query, handlers) {
    const conn = document.getElementById("conn");
    const show = (state, text) => {
      if (!conn) return;
      conn.dataset.state = state;
      conn.textContent = text;
    };
    const source = new EventSource("/events" + (query ? `?${query}` : ""));
    source.onopen = () => show("live", "live");
    source.onerror = () => show("down", "reconnecting…");
    for (const kind of ["snapshot", "status", "alert", "ack"]) {
      source.addEventListener(kind, (ev) => {
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch (e) {
          return;
        }
        if (handlers[kind]) handlers[kind](data);
      });
    }
    return source;
  }

  /** Call fn at most once per ``ms`` (trailing), so bursts of events redraw once. */
  function throttle(fn, ms) {
    let timer = null;
    return () => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    };
  }

  /** An alert as a feed item with an Acknowledge button. */
  function alertItem(a, opts = {}) {
    const li = el("li", {
      class: `alert alert-${a.level}${a.acked ? " acked" : ""}`,
      "data-id": a.id,
      "data-athlete": a.athlete,
      "data-squad": a.squad,
    });
    const who = opts.showName === false ? null : el("a", { class: "who", href: athletePath(a), text: a.name || a.athlete });
    const head = el(
      "div",
      { class: "alert-head" },
      el("span", { class: `pill pill-${a.level}`, text: ALERT_WORD[a.level] || a.level }),
      who,
      el("time", { class: "when", text: fmtClock(a.t) }),
    );
    const button = el("button", {
      type: "button",
      class: "ack",
      text: a.acked ? "Acknowledged ✓" : "Acknowledge",
      disabled: a.acked ? true : null,
      "aria-label": `Acknowledge alert for ${a.name || a.athlete}: ${a.message}`,
    });
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Sending…";
      try {
        await ack(a.squad, a.athlete, a.id);
        a.acked = true;
        button.textContent = "Acknowledged ✓";
        li.classList.add("acked");
        if (opts.onAck) opts.onAck(a);
      } catch (err) {
        button.disabled = false;
        button.textContent = "Acknowledge";
        li.append(el("p", { class: "error", role: "alert", text: `Not sent: ${err.message}` }));
      }
    });
    const detail = a.detail ? el("details", {}, el("summary", { text: "Why" }), el("p", { text: a.detail })) : null;
    li.append(head, el("p", { class: "message", text: a.message }), detail, button);
    return li;
  }

  /** A level the page knows ("low" otherwise). */
  function levelOf(t) {
    return LEVELS.includes(t.level) ? t.level : "low";
  }

  /** The signal state the page knows ("ok" otherwise). */
  function signalOf(t) {
    return ["ok", "stale", "lost"].includes(t.signal) ? t.signal : "ok";
  }

  /** One reading of a tile: label, value, optional unit. */
  function metric(label, value, unit) {
    return el("div", { class: "metric" }, el("dt", { text: label }), el("dd", {}, value, unit ? el("small", { text: unit }) : null));
  }

  /** HR, pace, cadence and temperature: the readings every tile shows. */
  function coreMetrics(t) {
    return [
      metric("HR", fmtNum(t.hr), " bpm"),
      metric("Pace", fmtPace(t.pace), num(t.pace) !== null && t.pace <= 1200 ? " /km" : ""),
      metric("Cadence", fmtNum(t.cadence), " spm"),
      metric("Temp", fmtNum(t.temp), " °C"),
    ];
  }

  /** The risk as a percentage and a bar. */
  function riskRow(risk) {
    const bar = el("span", { class: "risk-fill" });
    bar.style.width = `${Math.round(100 * (risk ?? 0))}%`;
    return el(
      "div",
      { class: "risk-row" },
      el("span", { class: "risk-num", text: risk === null ? "—" : `${Math.round(risk * 100)}%` }),
      el("span", { class: "risk-label", text: "risk" }),
      el("span", { class: "risk-bar", "aria-hidden": "true" }, bar),
    );
  }

  function athletePath(t) {
    return `/athlete/${encodeURIComponent(t.squad)}/${encodeURIComponent(t.athlete)}`;
  }

  return {
    LEVELS, LEVEL_WORD, ALERT_WORD, num, reasonText, topReason, levelRank, compareTiles, displayName, fmtPace,
    fmtNum, fmtElapsed, fmtClock, fmtAgo, el, svg, ack, post, connect, throttle, alertItem, athletePath, levelOf,
    signalOf, metric, coreMetrics, riskRow,
  };
})();
