/* crampwatch athlete view: the session's risk, HR, pace, cadence and stride, hand-drawn in SVG, alerts marked. */
"use strict";

(() => {
  const { el, svg, num } = CW;
  const MAX_POINTS = 2880;
  const COLUMNS = ["hr", "pace", "cadence", "stride_m", "temp", "risk", "fatigue", "distance_m"];
  const parts = location.pathname.split("/").filter(Boolean);
  const squad = decodeURIComponent(parts[1] || "");
  const athlete = decodeURIComponent(parts[2] || "");

  const CHARTS = [
    { key: "risk", title: "Cramp risk", fmt: (v) => `${Math.round(v * 100)}%`, domain: [0, 1], strip: true, height: 150 },
    { key: "hr", title: "Heart rate", unit: "bpm", fmt: (v) => v.toFixed(0), minSpan: 30 },
    { key: "pace", title: "Pace", unit: "/km", fmt: CW.fmtPace, invert: true, valid: (v) => v <= 1200, minSpan: 40 },
    { key: "cadence", title: "Cadence", unit: "spm", fmt: (v) => v.toFixed(0), minSpan: 16 },
    { key: "stride_m", title: "Stride (two steps)", unit: "m", fmt: (v) => v.toFixed(2), minSpan: 0.3 },
  ];

  const state = { hist: null, tile: null, loading: false, pending: [], pendingAlerts: [], missing: false, reload: false };
  const feedEls = new Map();
  const $now = document.getElementById("now");
  const $charts = document.getElementById("charts");
  const $feed = document.getElementById("feed");
  document.getElementById("back").href = `/?squad=${encodeURIComponent(squad)}`;

  // ---- data ---------------------------------------------------------------------------------------------
  async function load() {
    if (state.loading) {
      state.reload = true;
      return;
    }
    state.loading = true;
    try {
      const res = await fetch(`/api/athletes/${encodeURIComponent(squad)}/${encodeURIComponent(athlete)}/history`);
      if (res.status === 404) {
        state.hist = null;
        state.missing = true;
      } else if (res.ok) {
        state.hist = await res.json();
        state.missing = false;
      }
    } catch (e) {
      /* the event stream reconnects and asks again */
    }
    state.loading = false;
    const pending = state.pending;
    state.pending = [];
    for (const tile of pending) addPoint(tile);
    const alerts = state.pendingAlerts;
    state.pendingAlerts = [];
    for (const a of alerts) addAlert(a);
    if (state.reload) {
      state.reload = false;
      load();
    }
    render();
  }

  function addPoint(tile) {
    const h = state.hist;
    if (!h) return;
    if (num(tile.session_start) !== null && tile.session_start !== h.session_start) {
      load();
      return;
    }
    const t = num(tile.t);
    if (t === null || (h.t.length && t <= h.t[h.t.length - 1])) return;
    h.t.push(t);
    for (const c of COLUMNS) (h[c] = h[c] || []).push(num(tile[c]));
    (h.level = h.level || []).push(tile.level || null);
    if (h.t.length > MAX_POINTS) for (const c of ["t", "level", ...COLUMNS]) h[c].shift();
  }

  function addAlert(a) {
    const h = state.hist;
    if (h && !h.alerts.some((x) => x.id === a.id)) h.alerts.push(a);
  }

  function mine(x) {
    return x && x.squad === squad && x.athlete === athlete;
  }

  // ---- rendering: the "now" tile -------------------------------------------------------------------------
  function renderNow() {
    const t = state.tile;
    if (!t) {
      $now.className = "now tile lvl-low";
      $now.replaceChildren(el("h2", { class: "name", text: athlete }), el("p", { class: "empty", text: state.missing ? "No data from this runner yet — waiting…" : "Loading…" }));
      return;
    }
    const level = CW.levelOf(t);
    const risk = num(t.risk);
    const reason = t.top_reason || CW.topReason(t.factors);
    const signal = CW.signalOf(t);
    document.title = `${CW.displayName(t)} — ${CW.LEVEL_WORD[level]} — crampwatch`;
    $now.className = `now tile lvl-${level} sig-${signal}`;
    $now.dataset.level = level;
    const factors = Object.entries(t.factors || {})
      .filter(([, v]) => num(v) !== null && v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k]) => el("li", { text: CW.reasonText(k, t) }));
    $now.replaceChildren(
      el("div", { class: "tile-top" }, el("h2", { class: "name", text: CW.displayName(t) }), el("span", { class: "lvl-word", text: CW.LEVEL_WORD[level] })),
      CW.riskRow(risk),
      factors.length ? el("ol", { class: "reasons" }, ...factors) : el("p", { class: "reason", text: "No risk factor stands out" }),
      el(
        "dl",
        { class: "metrics" },
        ...CW.coreMetrics(t),
        CW.metric("Stride", CW.fmtNum(t.stride_m, 2), " m"),
        CW.metric("Distance", num(t.distance_m) === null ? "—" : (t.distance_m / 1000).toFixed(2), " km"),
      ),
      el(
        "div",
        { class: "tile-foot" },
        el("span", { class: `signal sig-${signal}`, text: `signal ${signal}` }),
        el("span", { class: "elapsed", text: `${CW.fmtElapsed(t.elapsed_s)} run` }),
        el("span", { class: "squad-name", text: t.squad }),
      ),
    );
  }

  // ---- rendering: charts -------------------------------------------------------------------------------
  function niceStep(span, target) {
    const raw = span / Math.max(1, target);
    const mag = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
    return 10 * mag;
  }

  function fmtMinutes(m) {
    if (m < 60) return `${Math.round(m)}′`;
    const h = Math.floor(m / 60);
    return `${h}h${String(Math.round(m % 60)).padStart(2, "0")}`;
  }

  function drawChart(cfg, xs, ys, levels, alerts, width) {
    const H = cfg.height || 120;
    const W = Math.max(260, width);
    const m = { l: 46, r: 12, t: 14, b: 22 };
    const iw = W - m.l - m.r;
    const ih = H - m.t - m.b;
    const valid = ys.map((v) => (v !== null && (!cfg.valid || cfg.valid(v)) ? v : null));
    const finite = valid.filter((v) => v !== null);
    const xmax = Math.max(1, ...xs);
    let [lo, hi] = cfg.domain || [Math.min(...finite), Math.max(...finite)];
    if (!finite.length && !cfg.domain) [lo, hi] = [0, 1];
    if (cfg.minSpan && hi - lo < cfg.minSpan) {
      const mid = (hi + lo) / 2;
      [lo, hi] = [mid - cfg.minSpan / 2, mid + cfg.minSpan / 2];
    }
    if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
    if (!cfg.domain) {
      const pad = (hi - lo) * 0.08;
      [lo, hi] = [lo - pad, hi + pad];
    }
    const X = (x) => m.l + (x / xmax) * iw;
    const Y = (y) => {
      const f = (y - lo) / (hi - lo);
      return m.t + (cfg.invert ? f : 1 - f) * ih;
    };
    const now = finite.length ? valid[valid.length - 1] ?? finite[finite.length - 1] : null;
    const label = `${cfg.title} over the session${now !== null ? `, now ${cfg.fmt(now)} ${cfg.unit || ""}` : ""}`;
    const root = svg("svg", { class: `chart chart-${cfg.key}`, width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });

    // level strip (risk chart): what the coach saw on the tile, over time
    if (cfg.strip && levels) {
      for (let i = 0; i < xs.length; i++) {
        const x0 = X(xs[i]);
        const x1 = i + 1 < xs.length ? X(xs[i + 1]) : x0 + 2;
        root.append(svg("rect", { class: `strip lvl-${levels[i] || "low"}`, x: x0.toFixed(1), y: m.t + ih + 2, width: Math.max(1, x1 - x0 + 0.5).toFixed(1), height: 5 }));
      }
    }
    // y grid and labels
    const step = niceStep(hi - lo, 4);
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
      const y = Y(v).toFixed(1);
      root.append(svg("line", { class: "grid", x1: m.l, x2: W - m.r, y1: y, y2: y }));
      root.append(svg("text", { class: "ylab", x: m.l - 6, y: (+y + 4).toFixed(1), "text-anchor": "end" }, cfg.fmt(v)));
    }
    // x ticks (minutes)
    const xstep = [1, 2, 5, 10, 15, 30, 60, 120].find((s) => xmax / s <= Math.max(3, iw / 90)) || 240;
    for (let v = 0; v <= xmax + 1e-9; v += xstep) {
      const x = X(v).toFixed(1);
      root.append(svg("text", { class: "xlab", x, y: H - 4, "text-anchor": "middle" }, fmtMinutes(v)));
    }
    // the line (gaps where unknown)
    let d = "";
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const v = valid[i];
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${X(xs[i]).toFixed(1)},${Y(Math.min(hi, Math.max(lo, v))).toFixed(1)}`;
      pen = true;
    }
    if (d) root.append(svg("path", { class: "line", d }));
    // alerts: a dashed line and a marker with the message as tooltip
    for (const a of alerts) {
      const x = X(a.x).toFixed(1);
      root.append(svg("line", { class: `mark mark-${a.level}`, x1: x, x2: x, y1: m.t, y2: m.t + ih }));
      root.append(
        svg("path", { class: `tri mark-${a.level}`, d: `M${+x - 5},${m.t - 8}L${+x + 5},${m.t - 8}L${x},${m.t}Z` },
          svg("title", {}, `${CW.ALERT_WORD[a.level] || a.level} ${CW.fmtClock(a.t)}: ${a.message}`)),
      );
      if (cfg.key === "risk" && num(a.risk) !== null) root.append(svg("circle", { class: `dot mark-${a.level}`, cx: x, cy: Y(a.risk).toFixed(1), r: 4 }));
    }
    if (now !== null && xs.length) {
      root.append(svg("circle", { class: "now-dot", cx: X(xs[xs.length - 1]).toFixed(1), cy: Y(Math.min(hi, Math.max(lo, now))).toFixed(1), r: 3 }));
    }
    return { root, now };
  }

  function renderCharts() {
    const h = state.hist;
    if (!h || !h.t || !h.t.length) {
      $charts.replaceChildren(el("p", { class: "empty", text: "No data yet this session." }));
      return;
    }
    const start = num(h.session_start) ?? h.t[0];
    const xs = h.t.map((t) => (t - start) / 60);
    const alerts = (h.alerts || []).map((a) => Object.assign({ x: Math.max(0, (a.t - start) / 60) }, a));
    const width = $charts.clientWidth || 600;
    const figures = CHARTS.map((cfg) => {
      const { root, now } = drawChart(cfg, xs, h[cfg.key] || [], h.level, alerts, width);
      return el(
        "figure",
        { class: "chart-box", "data-key": cfg.key },
        el("figcaption", {}, el("span", { class: "chart-title", text: cfg.title }), el("span", { class: "chart-now", text: now === null ? "—" : `${cfg.fmt(now)} ${cfg.unit || ""}` })),
        root,
      );
    });
    $charts.replaceChildren(...figures);
  }

  function renderFeed() {
    const alerts = ((state.hist && state.hist.alerts) || []).slice().reverse();
    if (!alerts.length) {
      $feed.replaceChildren(el("li", { class: "empty", text: "No alerts this session." }));
      return;
    }
    const items = alerts.map((a) => {
      let node = feedEls.get(a.id);
      if (!node || (a.acked && !node.classList.contains("acked"))) {
        node = CW.alertItem(a, { showName: false });
        feedEls.set(a.id, node);
      }
      return node;
    });
    const current = Array.from($feed.children);
    if (current.length !== items.length || items.some((n, i) => current[i] !== n)) $feed.replaceChildren(...items);
  }

  function render() {
    renderNow();
    renderCharts();
    renderFeed();
  }
  const schedule = CW.throttle(render, 250);

  // ---- live events -------------------------------------------------------------------------------------
  CW.connect(`squad=${encodeURIComponent(squad)}`, {
    snapshot(snap) {
      state.tile = (snap.athletes || []).find(mine) || state.tile;
      load();
    },
    status(tile) {
      if (!mine(tile)) return;
      state.tile = tile;
      if (state.loading) state.pending.push(tile);
      else if (!state.hist) load();
      else addPoint(tile);
      schedule();
    },
    alert(a) {
      if (!mine(a)) return;
      if (state.loading || !state.hist) state.pendingAlerts.push(a);
      else addAlert(a);
      if (state.tile) state.tile.last_alert = a;
      schedule();
    },
    ack(msg) {
      if (!mine(msg) || !state.hist) return;
      for (const a of state.hist.alerts) if (a.id === msg.alert_id) a.acked = true;
      schedule();
    },
  });
  window.addEventListener("resize", schedule);
  render();
})();
