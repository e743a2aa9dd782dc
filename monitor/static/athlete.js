/* crampwatch athlete view: a live session (/athlete/{squad}/{athlete}) or a stored one (/session/{id}); the charts
 * (uPlot, charts.js) are the same in both, with the alerts marked. */
"use strict";

(() => {
  const { el, num } = CW;
  const MAX_POINTS = 2880;
  const COLUMNS = ["hr", "pace", "cadence", "stride_m", "temp", "risk", "fatigue", "distance_m"];
  const parts = location.pathname.split("/").filter(Boolean);
  const past = parts[0] === "session" ? decodeURIComponent(parts[1] || "") : null;
  const ids = past ? past.split(".") : [];
  const squad = past ? ids[0] || "" : decodeURIComponent(parts[1] || "");
  const athlete = past ? ids[1] || "" : decodeURIComponent(parts[2] || "");

  const state = { hist: null, tile: null, loading: false, pending: [], pendingAlerts: [], missing: false, reload: false, charts: {} };
  const feedEls = new Map();
  const $now = document.getElementById("now");
  const $charts = document.getElementById("charts");
  const $feed = document.getElementById("feed");
  document.getElementById("back").href = `/?squad=${encodeURIComponent(squad)}`;
  document.getElementById("history-link").href = `/history?squad=${encodeURIComponent(squad)}&athlete=${encodeURIComponent(athlete)}`;
  document.getElementById("report-link").href = past
    ? `/report/session/${encodeURIComponent(past)}`
    : `/report/live/${encodeURIComponent(squad)}/${encodeURIComponent(athlete)}`;
  if (past) document.getElementById("h-charts").firstChild.textContent = "Past session ";

  // ---- data ---------------------------------------------------------------------------------------------
  async function load() {
    if (state.loading) {
      state.reload = true;
      return;
    }
    state.loading = true;
    try {
      const res = await fetch(past
        ? `/api/sessions/${encodeURIComponent(past)}`
        : `/api/athletes/${encodeURIComponent(squad)}/${encodeURIComponent(athlete)}/history`);
      if (res.status === 404) {
        state.hist = null;
        state.missing = true;
      } else if (res.ok) {
        state.hist = await res.json();
        state.missing = false;
        if (past) state.tile = pastTile(state.hist);
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
    document.getElementById("report-link").hidden = !t; // no session yet: the report would be a 404
    const gone = !t && past && state.missing; // a stale link: no session, so no empty charts nor "no alerts"
    for (const id of ["h-charts", "h-alerts"]) document.getElementById(id).parentElement.hidden = gone;
    if (!t) {
      $now.className = "now tile lvl-none"; // no reading yet: not the green of a low risk
      $now.replaceChildren(el("h2", { class: "name", text: athlete }), el("p", { class: "empty", text: !state.missing ? "Loading…"
        : past ? "No such session in the store." : "No data from this runner yet — waiting…" }));
      return;
    }
    if (past) {
      renderPast(t);
      return;
    }
    const level = CW.wordOf(t);
    const risk = num(t.display_risk) ?? num(t.risk);
    const signal = CW.signalOf(t);
    const session = CW.stateOf(t);
    document.title = `${CW.displayName(t)} — ${CW.LEVEL_WORD[level]} — crampwatch`;
    $now.className = `now tile lvl-${level} sig-${signal} st-${session}`;
    $now.dataset.level = level;
    $now.dataset.state = session;
    const reasons = level === "cramp" ? ["Cramp signs — check on the runner"] : CW.reasonList(t.factors, t, 4);
    $now.replaceChildren(
      el("div", { class: "tile-top" }, el("h2", { class: "name", text: CW.displayName(t) }), el("span", { class: "lvl-word", text: CW.LEVEL_WORD[level] })),
      CW.riskRow(risk),
      reasonsOf(reasons, "No risk factor stands out"),
      ...readings(t),
      el(
        "div",
        { class: "tile-foot" },
        el("span", { class: `session st-${session}`, text: CW.STATE_WORD[session] }),
        session !== "live" ? null : el("span", { class: `signal sig-${signal}`, text: `signal ${signal}` }),
        el("span", { class: "elapsed", text: `${CW.fmtElapsed(t.elapsed_s)} run` }),
        el("span", { class: "squad-name", text: t.squad }),
      ),
    );
  }

  function reasonsOf(reasons, none) {
    return reasons.length ? el("ol", { class: "reasons" }, ...reasons.map((r) => el("li", { text: r }))) : el("p", { class: "reason", text: none });
  }

  /** The readings of a status: HR, pace, cadence, temperature, stride; distance, TRIMP, zones. */
  function readings(t) {
    return [
      el("dl", { class: "metrics" }, ...CW.coreMetrics(t), CW.metric("Stride", CW.fmtNum(t.stride_m, 2), " m")),
      el("dl", { class: "metrics metrics-load" }, ...CW.loadMetrics(t)),
    ];
  }

  /** A finished session: its peak (word, risk, when, and the factors then), then how it ended (the last status's
   * word, risk and readings), each labelled: the last status's reasons do not explain the peak. */
  function renderPast(t) {
    const peak = t.peak;
    const level = CW.levelOf(peak || {});
    const when = peak ? CW.fmtElapsed(num(peak.elapsed_s) ?? peak.t - t.session_start) : "—";
    const end = CW.levelOf(t);
    const endRisk = CW.shownRisk(end, t.risk); // inside the word's band, as on a tile ("Elevated 19 %" read wrong)
    const running = t.session_state !== "finished"; // still open in the store: the runner is out, not done
    const tail = running ? "So far" : "End of session";
    document.title = `${CW.displayName(t)} — ${running ? "still running" : "past session"}, peak ${CW.LEVEL_WORD[level]} — crampwatch`;
    $now.className = `now tile past lvl-${level} st-${running ? "live" : "finished"}`;
    $now.dataset.level = level;
    $now.dataset.state = running ? "live" : "finished";
    const row = CW.riskRow(peak ? num(peak.risk) : null);
    row.querySelector(".risk-label").textContent = "peak risk";
    const reasons = peak ? CW.reasonList(peak.factors, peak, 4) : [];
    const head = peak ? `Peak ${CW.LEVEL_WORD[level]} ${Math.round(100 * peak.risk)} % at ${when} — ` : "No risk recorded in this session.";
    $now.replaceChildren(
      el("div", { class: "tile-top" }, el("h2", { class: "name", text: CW.displayName(t) }), el("span", { class: "lvl-word", text: `peak ${CW.LEVEL_WORD[level]}` })),
      row,
      el("p", { class: "sub-head peak-head", text: !peak ? head : reasons.length ? `${head}reasons at the peak:` : `${head}no risk factor stood out.` }),
      ...(reasons.length ? [reasonsOf(reasons)] : []), // replaceChildren writes a null as "null"
      el("h3", { class: "sub-head end-head", text: `${tail} — ${CW.fmtElapsed(t.elapsed_s)} run · ${CW.LEVEL_WORD[end]} ${endRisk === null ? "—" : Math.round(100 * endRisk) + " %"}` }),
      ...readings(t),
      el(
        "div",
        { class: "tile-foot" },
        el("span", { class: `session st-${running ? "live" : "finished"}`, text: `${running ? "still running" : "past session"} · ${CW.fmtDateTime(t.session_start)}` }),
        !running ? null : el("a", { class: "live-link", href: `/athlete/${encodeURIComponent(t.squad)}/${encodeURIComponent(t.athlete)}`, text: "live page" }),
        el("span", { class: "squad-name", text: t.squad }),
      ),
    );
  }

  /** A past session's tile: its last status's values (how it ended) and its peak (``peak`` from the API). */
  function pastTile(h) {
    const n = h.t.length;
    const last = (k) => (n ? h[k][n - 1] : null);
    const start = num(h.session_start) ?? h.t[0];
    return {
      squad: h.squad, athlete: h.athlete, name: h.name, session_start: start, session_state: h.session_state || "finished",
      level: last("level") || "low", risk: last("risk"), hr: last("hr"), pace: last("pace"),
      cadence: last("cadence"), temp: last("temp"), stride_m: last("stride_m"), distance_m: last("distance_m"),
      elapsed_s: n ? h.t[n - 1] - start : null, signal: "ok", ...(h.last || {}), peak: h.peak || null,
    };
  }

  // ---- rendering: charts (charts.js) -------------------------------------------------------------------
  function renderCharts() {
    const h = state.hist;
    if (!h || !h.t || !h.t.length) {
      for (const c of Object.values(state.charts)) c.u.destroy();
      state.charts = {};
      $charts.replaceChildren(el("p", { class: "empty", text: "No data yet this session." }));
      return;
    }
    if ($charts.querySelector("p.empty")) $charts.replaceChildren();
    CWCharts.render($charts, h, state);
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
        node = CW.alertItem(a, { showName: false, start: past ? state.hist.session_start : null });
        if (past) node.querySelector("button.ack")?.remove();
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
  if (past) {
    const conn = document.getElementById("conn");
    conn.dataset.state = "past";
    conn.textContent = "past session";
    document.getElementById("h-alerts").textContent = "Alerts of the session";
    renderNow(); // "Loading…" at once: the page's own "Waiting for this runner's data…" is not for a past session
    load();
    window.addEventListener("resize", schedule);
    return;
  }
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
