/* crampwatch dashboard: shared helpers (no framework, no network beyond this server): words, reasons, formats,
 * elements and a tile's readings. live.js (loaded after it) adds the link to the monitor. */
"use strict";

const CW = (() => {
  const LEVELS = ["low", "elevated", "high", "critical"];
  const LEVEL_WORD = { low: "Low", elevated: "Elevated", high: "High", critical: "Critical", cramp: "Cramp" };
  /** Words from least to most worrying: the monitor's levels, then "cramp" (until the coach acknowledges). */
  const WORDS = [...LEVELS, "cramp"];
  /** Shown risk band of each word (monitor/coach/words.py BANDS): a number beside a word stays inside its band. */
  const BANDS = { low: [0, 0.24], elevated: [0.25, 0.49], high: [0.5, 0.74], critical: [0.75, 1], cramp: [0, 1] };
  /** The risk shown beside ``word`` (words.display_risk): kept inside the word's band; null when unknown. */
  function shownRisk(word, risk) {
    const r = num(risk);
    if (r === null) return null;
    const [lo, hi] = BANDS[word] || [0, 1];
    return Math.min(hi, Math.max(lo, r));
  }
  /** Profile traits: they raise the risk but are never "the reason" a coach can act on. */
  const TRAITS = new Set(["sex", "age", "cramp_history", "recent_injury"]);
  const STATE_WORD = { live: "live", quiet: "quiet — no data", finished: "finished" };
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
    cardiac: () => "Heart rate drifting up at the same pace",
    monotony: () => "Same effort for a long time",
    acute_cramp: () => "Cramp signs now",
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

  /** The smallest contribution named as a reason (monitor/coach/words.py MIN_REASON): 0.04 is no reason. */
  const MIN_REASON = 0.1;

  /** The factor with the largest contribution (at least MIN_REASON) that is not a profile trait. */
  function topReason(factors) {
    let best = null;
    for (const [k, v] of Object.entries(factors || {})) {
      if (!TRAITS.has(k) && num(v) !== null && v >= MIN_REASON && (best === null || v > best[1])) best = [k, v];
    }
    return best ? best[0] : null;
  }

  /** Up to ``n`` factors (each at least MIN_REASON) in plain words, largest first, profile traits left out. */
  function reasonList(factors, status, n = 3) {
    return Object.entries(factors || {})
      .filter(([k, v]) => !TRAITS.has(k) && num(v) !== null && v >= MIN_REASON)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k]) => reasonText(k, status));
  }

  function levelRank(level) {
    return WORDS.indexOf(level);
  }

  /** The word on a tile: the server's display_level (cramp until acknowledged), else the level. */
  function wordOf(t) {
    return WORDS.includes(t.display_level) ? t.display_level : levelOf(t);
  }

  function stateOf(t) {
    return ["live", "quiet", "finished"].includes(t.session_state) ? t.session_state : "live";
  }

  /** The one rule (the server's too): live before finished, then the word, then the risk, then the name. */
  function compareTiles(a, b) {
    return (
      (stateOf(a) === "finished") - (stateOf(b) === "finished") ||
      levelRank(wordOf(b)) - levelRank(wordOf(a)) ||
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

  /** A duration as h:mm:ss, always with the hours (as `crampwatch sessions` and the report print it): "1:20"
   * read as 1 h 20 min to a coach when it meant 80 s. */
  function fmtElapsed(s) {
    const v = num(s);
    if (v === null) return "—";
    const t = Math.max(0, Math.round(v));
    const h = Math.floor(t / 3600);
    const m = String(Math.floor((t % 3600) / 60)).padStart(2, "0");
    return `${h}:${m}:${String(t % 60).padStart(2, "0")}`;
  }

  function fmtClock(t) {
    const v = num(t);
    if (v === null) return "";
    const d = new Date(v * 1000);
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, "0")).join(":");
  }

  /** "2026-12-01 21:35" in local time, whatever the browser's locale ("12/1/2026" is 12 January to many). */
  function fmtDateTime(t) {
    const v = num(t);
    if (v === null) return "—";
    const d = new Date(v * 1000);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")} ${fmtClock(v).slice(0, 5)}`;
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

  /** HR (with zone and % of HRmax), pace, cadence and temperature: the readings every tile shows. */
  function coreMetrics(t) {
    // the monitor's pace is null, not above 20 min/km, for a runner standing still: its gait says "stopped" (the
    // tile read "— /km", as for a watch without pace)
    const stopped = (num(t.pace) !== null && t.pace > 1200) || (num(t.pace) === null && t.gait_state === "stopped");
    return [
      metric("HR", fmtNum(t.hr), " bpm"),
      metric("Pace", stopped ? "stopped" : fmtPace(t.pace), stopped ? "" : " /km"), // "— /km" as "— spm"; "stopped" alone
      metric("Cadence", fmtNum(t.cadence), " spm"),
      metric("Temp", fmtNum(t.temp), " °C"),
    ];
  }

  /** What coaches expect live beside the risk: distance, training load (TRIMP), time in the HR zones. */
  function loadMetrics(t) {
    const zones = Array.isArray(t.hr_zone_s) ? t.hr_zone_s : null;
    const total = zones ? zones.reduce((x, y) => x + (num(y) ?? 0), 0) : 0;
    const bar = el("span", { class: "zone-bar", "aria-label": "time in heart-rate zones 1 to 5" });
    if (zones && total > 0) {
      zones.forEach((z, i) => {
        const part = el("span", { class: `zone z${i + 1}`, title: `Z${i + 1}: ${fmtElapsed(z)}` });
        part.style.width = `${(100 * (num(z) ?? 0)) / total}%`;
        bar.append(part);
      });
    }
    const zone = num(t.hr_zone);
    const pct = num(t.hr_pct_max);
    return [
      metric("Zone", zone === null ? "—" : `Z${zone}`, pct === null ? "" : ` ${Math.round(pct)}%`),
      metric("Distance", num(t.distance_m) === null ? "—" : (t.distance_m / 1000).toFixed(2), " km"),
      metric("TRIMP", fmtNum(t.trimp), ""),
      el("div", { class: "metric metric-zones" }, el("dt", { text: "Time in zone" }), el("dd", {}, bar)),
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

  /** "What the risk means" (the squad and runner pages' footer): one text for both pages. */
  const RISK_HELP = `<p>The risk (0–100 %) weighs the cramp risk factors the run shows now — faster than training
    pace, longer than usual, a tiring stride, a heart rate drifting up, heat, sweat loss — with the runner's profile.
    It ranks the squad and decides the advice; it is <strong>not the chance of a cramp</strong>, and a low risk does
    not rule one out.</p>
    <p><b>Low</b> 0–24 %, <b>elevated</b> 25–49 %, <b>high</b> 50–74 %, <b>critical</b> 75–100 % (high and
    critical only with evidence from the run: a tiring stride, cramp signs). <b>Cramp</b>: cramp signs, or a
    stop-and-stretch alert not yet acknowledged.</p>`;

  function fillRiskHelp() {
    const box = document.getElementById("risk-help");
    if (box && box.children.length < 2) box.insertAdjacentHTML("beforeend", RISK_HELP);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fillRiskHelp);
  else fillRiskHelp();

  // live.js adds the link to the monitor: ack, ackAll, post, connect, throttle, alertItem
  return {
    LEVELS, WORDS, BANDS, shownRisk, TRAITS, STATE_WORD, LEVEL_WORD, ALERT_WORD, num, reasonList, wordOf, stateOf, loadMetrics, reasonText, topReason, levelRank, compareTiles, displayName, fmtPace,
    fmtNum, fmtElapsed, fmtClock, fmtDateTime, fmtAgo, el, svg, athletePath, levelOf,
    signalOf, metric, coreMetrics, riskRow,
  };
})();
