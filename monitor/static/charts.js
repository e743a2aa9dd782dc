/* crampwatch session charts with uPlot (vendored, MIT): the same charts for a live session and a past one.
 * HR with zone bands (% of HRmax), pace with the target line (faster is up, a tick every 30 s/km), cadence, stride,
 * temperature and risk with the level strip; every alert marked by a dashed line in its level's colour. */
"use strict";

const CWCharts = (() => {
  const { num } = CW;
  const ALERT_COLOUR = { advice: "#2160a8", warning: "#d4520c", critical: "#c01f1f" };
  const LEVEL_COLOUR = { low: "#2e7d32", elevated: "#e0a400", high: "#d4520c", critical: "#c01f1f" };
  const ZONE_COLOUR = ["rgba(144,180,224,.22)", "rgba(124,196,127,.22)", "rgba(242,201,76,.25)", "rgba(240,138,75,.22)", "rgba(214,69,69,.2)"];
  const ZONE_BOUNDS = [0.6, 0.7, 0.8, 0.9];

  /** Ticks every ``step`` between min and max. */
  function every(step) {
    return (u, axisIdx, min, max) => {
      const out = [];
      for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) out.push(+v.toFixed(6));
      return out;
    };
  }

  /** The y ticks: every ``cfg.step`` (30 s/km, 10 bpm...), or the first of ``cfg.coarser`` that leaves 16 px per
   * label (a walk/run session's pace, 4:00-18:00, had 15 labels a minute apart on a 130-px axis, drawn over each
   * other); the count drawn goes into the figure's ``data-y-ticks``. */
  function ySplits(cfg) {
    return (u, axisIdx, min, max) => {
      const room = Math.max(2, Math.floor(u.bbox.height / devicePixelRatio / 16) + 1);
      const first = cfg.step(min, max);
      const steps = [first, ...(cfg.coarser || []).filter((s) => s > first)];
      const step = steps.find((s) => Math.floor((max - min) / s) + 1 <= room) || steps[steps.length - 1];
      const out = every(step)(u, axisIdx, min, max);
      const fig = u.root.closest("figure");
      if (fig) fig.dataset.yTicks = String(out.length);
      return out;
    };
  }

  /** Minute ticks at round steps (1, 2, 5, 10, 15, 30, 60 min), about one per 80 px. */
  function minuteSplits(u, axisIdx, min, max) {
    const want = Math.max(2, u.bbox.width / devicePixelRatio / 80);
    const step = [1, 2, 5, 10, 15, 30, 60, 120].find((s) => (max - min) / s <= want) || 240;
    return every(step)(u, axisIdx, min, max);
  }

  function fmtMinutes(m) {
    if (m < 60) return `${Math.round(m)}′`;
    return `${Math.floor(m / 60)}h${String(Math.round(m % 60)).padStart(2, "0")}`;
  }

  /** 2nd–98th percentile range, padded, at least ``minSpan`` wide (stops and GPS spikes do not squash it);
   * ``whole``: min to max, for the stride (the monitor reports none above 4.0 m: a sprint is the run, not a spike). */
  function robust(values, minSpan, whole = false) {
    const xs = values.filter((v) => v !== null).sort((a, b) => a - b);
    if (!xs.length) return [0, 1];
    let lo = xs[whole ? 0 : Math.floor(0.02 * (xs.length - 1))];
    let hi = xs[whole ? xs.length - 1 : Math.ceil(0.98 * (xs.length - 1))];
    if (hi - lo < minSpan) [lo, hi] = [(lo + hi) / 2 - minSpan / 2, (lo + hi) / 2 + minSpan / 2];
    const pad = (hi - lo) * 0.08;
    return [lo - pad, hi + pad];
  }

  /** The pace range widened to show the target line with 10 s/km to spare (the page says "dashed blue: target
   * pace"; a target off the range was promised and not drawn). */
  function withTarget([lo, hi], target) {
    const t = num(target);
    return t === null ? [lo, hi] : [Math.min(lo, t - 10), Math.max(hi, t + 10)];
  }

  // risk from -8 %: the level strip (6 px) sits below 0 %, so a low risk's line is not hidden under it
  const CHARTS = [
    { key: "risk", title: "Cramp risk", unit: "%", scale: (v) => (v === null ? null : 100 * v), range: () => [-8, 100], step: () => 25, fmt: (v) => `${Math.round(v)}%`, height: 160, strip: true, colour: "#c01f1f" },
    { key: "hr", title: "Heart rate", unit: "bpm", range: (ys) => robust(ys, 30), step: (lo, hi) => (hi - lo <= 80 ? 10 : 20), coarser: [20, 50], fmt: (v) => v.toFixed(0), zones: true },
    { key: "pace", title: "Pace", unit: "/km", scale: (v) => (v === null || v > 1200 ? null : v), range: (ys, hist) => withTarget(robust(ys, 60), hist && hist.target_pace), step: (lo, hi) => (hi - lo <= 240 ? 30 : 60), coarser: [60, 120, 300, 600], fmt: CW.fmtPace, invert: true, target: true },
    { key: "cadence", title: "Cadence", unit: "spm", scale: (v) => (v === null || v <= 0 ? null : v), range: (ys) => robust(ys, 16), step: (lo, hi) => (hi - lo <= 40 ? 5 : 10), coarser: [10, 20, 50], fmt: (v) => v.toFixed(0) },
    { key: "stride_m", title: "Stride (two steps)", unit: "m", range: (ys) => robust(ys, 0.3, true), step: (lo, hi) => (hi - lo <= 0.8 ? 0.1 : 0.25), coarser: [0.25, 0.5, 1], fmt: (v) => v.toFixed(2) },
    { key: "temp", title: "Temperature", unit: "°C", range: (ys) => robust(ys, 4), step: (lo, hi) => (hi - lo <= 12 ? 1 : 5), coarser: [2, 5, 10], fmt: (v) => v.toFixed(0) },
  ];

  /** Draw bands, target, level strip and alert marks on the canvas (uPlot "draw" hook). */
  function overlay(cfg, hist, alerts) {
    return (u) => {
      const fig = u.root.closest("figure");
      if (fig) fig.dataset.yRange = `${u.scales.y.min},${u.scales.y.max}`; // what it drew (as data-points)
      const ctx = u.ctx;
      const { left, top, width, height } = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top, width, height);
      ctx.clip();
      const y = (v) => u.valToPos(v, "y", true);
      if (cfg.zones && num(hist.hr_max)) {
        const b = [0, ...ZONE_BOUNDS.map((f) => f * hist.hr_max), 1.5 * hist.hr_max];
        for (let z = 0; z < 5; z++) {
          ctx.fillStyle = ZONE_COLOUR[z];
          const y0 = y(b[z + 1]);
          ctx.fillRect(left, y0, width, y(b[z]) - y0);
        }
      }
      if (cfg.target && num(hist.target_pace)) {
        ctx.strokeStyle = "#2160a8";
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([8 * devicePixelRatio, 5 * devicePixelRatio]);
        ctx.beginPath();
        ctx.moveTo(left, y(hist.target_pace));
        ctx.lineTo(left + width, y(hist.target_pace));
        ctx.stroke();
      }
      if (cfg.strip) {
        const xs = u.data[0];
        for (let i = 0; i < xs.length; i++) {
          const c = LEVEL_COLOUR[(hist.level || [])[i]];
          if (!c) continue;
          const x0 = u.valToPos(xs[i], "x", true);
          const x1 = i + 1 < xs.length ? u.valToPos(xs[i + 1], "x", true) : x0 + 2;
          ctx.fillStyle = c;
          ctx.fillRect(x0, top + height - 6 * devicePixelRatio, Math.max(1, x1 - x0 + 0.5), 6 * devicePixelRatio);
        }
      }
      ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      for (const a of alerts) {
        const x = u.valToPos(a.x, "x", true);
        ctx.strokeStyle = ALERT_COLOUR[a.level] || "#2160a8";
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.beginPath();
        ctx.moveTo(x - 6 * devicePixelRatio, top);
        ctx.lineTo(x + 6 * devicePixelRatio, top);
        ctx.lineTo(x, top + 9 * devicePixelRatio);
        ctx.fill();
      }
      ctx.restore();
    };
  }

  function options(cfg, hist, alerts, width) {
    return {
      width,
      height: cfg.height || 170,
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: { range: (u) => cfg.range(u.data[1], hist), dir: cfg.invert ? -1 : 1 } },
      axes: [
        { stroke: "#5b6470", grid: { stroke: "#eceff2" }, splits: minuteSplits, values: (u, vals) => vals.map(fmtMinutes) },
        { stroke: "#5b6470", size: 56, grid: { stroke: "#e6e9ed" }, splits: ySplits(cfg), values: (u, vals) => vals.map(cfg.fmt) },
      ],
      series: [{}, { label: cfg.title, stroke: cfg.colour || "#1b1f24", width: 2, spanGaps: false, points: { show: false } }],
      hooks: { draw: [overlay(cfg, hist, alerts)] },
    };
  }

  /** Draw (or update) the charts of ``hist`` ({t, hr, pace, ..., level, session_start, hr_max, target_pace,
   * alerts}) into ``container``; ``state`` keeps the uPlot instances between calls. */
  function render(container, hist, state) {
    const start = num(hist.session_start) ?? hist.t[0];
    const xs = hist.t.map((t) => (t - start) / 60);
    const alerts = (hist.alerts || []).map((a) => Object.assign({ x: Math.max(0, (a.t - start) / 60) }, a));
    const width = Math.max(260, (container.clientWidth || 600) - 4);
    state.charts = state.charts || {};
    for (const cfg of CHARTS) {
      const ys = (hist[cfg.key] || []).map((v) => (cfg.scale ? cfg.scale(num(v)) : num(v)));
      let fig = container.querySelector(`figure[data-key="${cfg.key}"]`);
      if (!fig) {
        fig = CW.el("figure", { class: "chart-box", "data-key": cfg.key },
          CW.el("figcaption", {}, CW.el("span", { class: "chart-title", text: cfg.title }), CW.el("span", { class: "chart-now" })),
          CW.el("div", { class: "plot", role: "img" }));
        container.append(fig);
      }
      const finite = ys.filter((v) => v !== null);
      // the value at the last status, as the card above says it: a runner who stopped has no pace or stride now
      // (a past session's pace chart said "15:28 /km" beside "— /km" on the card)
      const now = ys.length ? ys[ys.length - 1] : null;
      fig.querySelector(".chart-now").textContent = now === null ? "—" : `${cfg.fmt(now)} ${cfg.unit === "%" ? "" : cfg.unit}`;
      fig.dataset.points = String(finite.length);
      fig.dataset.alerts = String(alerts.length);
      const plot = fig.querySelector(".plot");
      plot.setAttribute("aria-label", `${cfg.title} over the session${now === null ? "" : `, now ${cfg.fmt(now)} ${cfg.unit}`}; ${alerts.length} alerts marked`);
      const old = state.charts[cfg.key];
      if (!finite.length) {
        // a stream that never reported (an HR-only strap: no pace, cadence, stride, temperature): say so, not an
        // empty plot on a made-up 0–1 axis ("0:00" /km, "0" spm)
        if (old) old.u.destroy();
        delete state.charts[cfg.key];
        if (!plot.querySelector(".no-data")) plot.replaceChildren(CW.el("p", { class: "empty no-data", text: "No data this session." }));
        continue;
      }
      if (old && old.hist === hist && old.width === width && old.alerts === alerts.length) {
        old.u.setData([xs, ys]);
      } else {
        if (old) old.u.destroy();
        plot.replaceChildren();
        const u = new uPlot(options(cfg, hist, alerts, width), [xs, ys], plot);
        state.charts[cfg.key] = { u, hist, width, alerts: alerts.length };
      }
    }
  }

  return { render, CHARTS, robust };
})();
