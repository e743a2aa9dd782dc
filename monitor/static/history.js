/* crampwatch session history: stored sessions per squad (and athlete), newest first; each opens in the athlete
 * view and has its report. */
"use strict";

(() => {
  const { el, num } = CW;
  const params = new URLSearchParams(location.search);
  const state = { squad: params.get("squad") || "", athlete: params.get("athlete") || "" };
  const $body = document.querySelector("#sessions tbody");
  const $squad = document.getElementById("squad");
  const $who = document.getElementById("who");
  // the start times are the browser's own zone; the report and `crampwatch sessions` say UTC: name it
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  document.querySelector("#h-sessions .hint").textContent += `; start times in ${zone}`;

  function row(s) {
    const level = CW.LEVELS.includes(s.peak_level) ? s.peak_level : "low";
    const open = `/session/${encodeURIComponent(s.id)}`;
    return el(
      "tr",
      { class: s.open ? "open" : null, "data-id": s.id },
      el("td", { class: "runner" }, el("a", { class: "who", href: open, text: s.name || s.athlete })),
      el("td", { class: "squad", "data-label": "squad", text: s.squad }),
      el("td", { class: "start" }, el("a", { href: open, text: CW.fmtDateTime(s.start) })),
      el("td", { class: "num duration", "data-label": "run", text: CW.fmtElapsed(s.duration_s) }),
      el("td", { class: "num distance", text: num(s.distance_m) === null ? "— km" : `${(s.distance_m / 1000).toFixed(2)} km` }),
      el("td", { class: "peak", "data-label": "peak" }, el("span", { class: `chip pill-lvl-${level}`, text: `${num(s.peak_risk) === null ? "—" : Math.round(100 * s.peak_risk) + "%"} ${CW.LEVEL_WORD[level].toLowerCase()}` })),
      el("td", { class: "num alerts", "data-label": "alerts", text: String(s.alerts) }),
      el("td", { class: "report" }, el("a", { href: s.report, text: "Report" })),
    );
  }

  async function load() {
    const q = new URLSearchParams();
    if (state.squad) q.set("squad", state.squad);
    if (state.athlete) q.set("athlete", state.athlete);
    $who.textContent = [state.squad && `squad ${state.squad}`, state.athlete && `runner ${state.athlete}`].filter(Boolean).join(" · ");
    let rows = [];
    try {
      const res = await fetch(`/api/sessions?${q}`);
      const body = await res.json();
      if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
      rows = body;
    } catch (err) {
      $body.replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "empty", text: `No history: ${err.message}` })));
      return;
    }
    for (const s of rows) if (!Array.from($squad.options).some((o) => o.value === s.squad)) $squad.append(el("option", { value: s.squad, text: s.squad }));
    $squad.value = state.squad;
    $body.replaceChildren(...(rows.length ? rows.map(row) : [el("tr", {}, el("td", { colspan: 8, class: "empty", text: "No stored session yet." }))]));
  }

  $squad.addEventListener("change", () => {
    state.squad = $squad.value;
    state.athlete = "";
    const url = new URL(location.href);
    url.search = state.squad ? `?squad=${encodeURIComponent(state.squad)}` : "";
    history.replaceState(null, "", url);
    load();
  });
  document.getElementById("back").href = state.squad ? `/?squad=${encodeURIComponent(state.squad)}` : "/";
  if (state.squad && !Array.from($squad.options).some((o) => o.value === state.squad)) $squad.append(el("option", { value: state.squad, text: state.squad }));
  CW.connect(state.squad ? `squad=${encodeURIComponent(state.squad)}` : "", {});
  load();
})();
