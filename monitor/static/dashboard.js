/* crampwatch squad dashboard: one tile per runner, riskiest first; alert feed with Acknowledge. */
"use strict";

(() => {
  const { el, num } = CW;
  const FEED_MAX = 200;
  const FEED_SHOWN = 60;
  const ENDED_AFTER_S = 30; // no status for this long (wall clock): the session ended or the monitor is away

  const state = {
    tiles: new Map(), // "squad/athlete" -> tile (+ receivedAt, ms)
    alerts: [], // newest first
    squads: new Set(),
    squad: new URLSearchParams(location.search).get("squad") || "",
  };
  const tileEls = new Map();
  const feedEls = new Map();

  const $tiles = document.getElementById("tiles");
  const $feed = document.getElementById("feed");
  const $summary = document.getElementById("summary");
  const $squad = document.getElementById("squad");
  const $open = document.getElementById("open-count");

  const key = (t) => `${t.squad}/${t.athlete}`;

  // ---- state updates ------------------------------------------------------------------------------------
  function putTile(tile, ageS) {
    tile.receivedAt = Date.now() - 1000 * (num(ageS) ?? 0);
    state.tiles.set(key(tile), tile);
    state.squads.add(tile.squad);
  }

  /** Newest first; open alerts are never trimmed (a busy squad cannot push another runner's out). */
  function putAlert(a) {
    if (state.alerts.some((x) => x.id === a.id)) return;
    state.alerts.unshift(a);
    if (state.alerts.length > FEED_MAX) {
      let acked = 0;
      state.alerts = state.alerts.filter((x) => !x.acked || ++acked <= FEED_MAX / 2);
    }
    state.squads.add(a.squad);
  }

  function onSnapshot(snap) {
    state.tiles.clear();
    for (const t of snap.athletes || []) putTile(t, t.age_s);
    for (const s of snap.squads || []) state.squads.add(s.squad);
    state.alerts = [];
    for (const a of (snap.alerts || []).slice().reverse()) putAlert(a);
    render();
  }

  function onStatus(tile) {
    putTile(tile, 0);
    schedule();
  }

  function onAlert(a) {
    putAlert(a);
    const t = state.tiles.get(key(a));
    if (t) t.last_alert = { id: a.id, t: a.t, level: a.level, kind: a.kind, message: a.message, acked: false };
    schedule();
  }

  function onAck(msg) {
    for (const a of state.alerts) if (a.id === msg.alert_id) a.acked = true;
    const t = state.tiles.get(`${msg.squad}/${msg.athlete}`);
    if (t && t.last_alert && t.last_alert.id === msg.alert_id) t.last_alert.acked = true;
    schedule();
  }

  // ---- rendering ----------------------------------------------------------------------------------------
  /** The top reason: prominent when the risk matters, quiet ("main factor") when it is low. */
  function reasonLine(level, reason, t) {
    if (level === "cramp") return el("p", { class: "reason", text: "Cramp signs — check on the runner" });
    if (!reason) return el("p", { class: "reason quiet", text: "No risk factor stands out" });
    const text = t.top_reason_text || CW.reasonText(reason, t);
    return level === "low" ? el("p", { class: "reason quiet", text: `Main factor: ${text.charAt(0).toLowerCase()}${text.slice(1)}` }) : el("p", { class: "reason", text });
  }

  function tileContent(t) {
    const level = CW.wordOf(t);
    const risk = num(t.display_risk) ?? num(t.risk);
    const ageS = (Date.now() - t.receivedAt) / 1000;
    const session = CW.stateOf(t);
    const ended = session !== "live" || ageS > ENDED_AFTER_S;
    const reason = t.top_reason || CW.topReason(t.factors);
    const last = t.last_alert;
    const signal = CW.signalOf(t);
    return [
      el(
        "div",
        { class: "tile-top" },
        el("span", { class: "name", text: CW.displayName(t), title: CW.displayName(t) }), // cut with "…": hover shows it
        el("span", { class: "lvl-word", text: CW.LEVEL_WORD[level] }),
      ),
      CW.riskRow(risk),
      reasonLine(level, reason, t),
      el("dl", { class: "metrics" }, ...CW.coreMetrics(t)),
      el("dl", { class: "metrics metrics-load" }, ...CW.loadMetrics(t)),
      last
        ? el(
            "p",
            { class: `last-alert alert-${last.level}${last.acked ? " acked" : ""}` },
            el("span", { class: "last-when", text: CW.fmtClock(last.t) }),
            " ",
            last.message,
            last.acked ? el("span", { class: "ack-mark", text: " ✓ acknowledged" }) : null,
          )
        : el("p", { class: "last-alert none", text: "No alert" }),
      el(
        "div",
        { class: "tile-foot" },
        el("span", { class: `session st-${session}`, text: CW.STATE_WORD[session] }),
        // the signal of the last status: beside "quiet — no data" or "finished", "signal ok" contradicted them
        session === "live" ? el("span", { class: `signal sig-${signal}`, text: `signal ${signal}` }) : null,
        el("span", { class: "elapsed", text: `${CW.fmtElapsed(t.elapsed_s)} run` }),
        state.squad ? null : el("span", { class: "squad-name", text: t.squad }),
        ended ? el("span", { class: "ended", text: `last update ${CW.fmtAgo(ageS)}` }) : null,
      ),
    ];
  }

  function renderTiles(tiles) {
    const seen = new Set();
    if (!tiles.length) {
      $tiles.replaceChildren(el("p", { class: "empty", text: state.squad ? `No runners in ${state.squad} yet.` : "Waiting for the first runner…" }));
      tileEls.clear();
      return;
    }
    const ordered = tiles.map((t, i) => {
      const k = key(t);
      seen.add(k);
      let node = tileEls.get(k);
      if (!node) {
        node = el("a", { href: CW.athletePath(t) });
        tileEls.set(k, node);
      }
      const level = CW.wordOf(t);
      const session = CW.stateOf(t);
      const ended = session !== "live" || (Date.now() - t.receivedAt) / 1000 > ENDED_AFTER_S;
      node.className = `tile lvl-${level} sig-${t.signal || "ok"} st-${session}${ended ? " ended" : ""}${i === 0 ? " first" : ""}`;
      node.dataset.squad = t.squad;
      node.dataset.athlete = t.athlete;
      node.dataset.level = level;
      node.dataset.state = session;
      node.dataset.risk = String(num(t.risk) ?? "");
      node.dataset.shown = String(num(t.display_risk) ?? "");
      node.dataset.t = String(num(t.t) ?? "");
      node.setAttribute(
        "aria-label",
        `${CW.displayName(t)}: ${CW.LEVEL_WORD[level]} risk ${num(t.display_risk) === null ? "" : Math.round(t.display_risk * 100) + "%"}, ${CW.STATE_WORD[session]}`,
      );
      node.replaceChildren(...tileContent(t));
      return node;
    });
    for (const [k, node] of tileEls) {
      if (!seen.has(k)) {
        node.remove();
        tileEls.delete(k);
      }
    }
    const current = Array.from($tiles.children);
    if (current.length !== ordered.length || ordered.some((n, i) => current[i] !== n)) $tiles.replaceChildren(...ordered);
  }

  function renderSummary(tiles, openAlerts) {
    const counts = { cramp: 0, critical: 0, high: 0, elevated: 0, low: 0 };
    let finished = 0;
    for (const t of tiles) {
      if (CW.stateOf(t) === "finished") finished += 1;
      else counts[CW.wordOf(t)] += 1;
    }
    const chips = ["cramp", "critical", "high", "elevated", "low"]
      .filter((l) => counts[l])
      .map((l) => el("span", { class: `chip pill-lvl-${l}`, "data-word": l, text: `${counts[l]} ${CW.LEVEL_WORD[l].toLowerCase()}` }));
    if (finished) chips.push(el("span", { class: "chip chip-finished", "data-word": "finished", text: `${finished} finished` }));
    if (openAlerts) chips.push(el("a", { class: "chip chip-alerts", href: "#h-alerts", text: `${openAlerts} alert${openAlerts > 1 ? "s" : ""} to acknowledge` }));
    $summary.replaceChildren(...chips);
  }

  /** Open alerts grouped by runner (most urgent runner first, each with "Acknowledge all"), then the latest
   * acknowledged ones. */
  function renderFeed() {
    const mine = state.alerts.filter((a) => !state.squad || a.squad === state.squad);
    const open = mine.filter((a) => !a.acked);
    $open.textContent = open.length ? `${open.length} open` : "";
    if (!mine.length) {
      feedEls.clear();
      $feed.replaceChildren(el("li", { class: "empty", text: "No alerts yet." }));
      return 0;
    }
    const groups = new Map();
    for (const a of open) {
      const k = key(a);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(a);
    }
    const rank = { critical: 3, warning: 2, advice: 1 };
    const worst = (list) => Math.max(...list.map((a) => rank[a.level] || 0));
    const ordered = Array.from(groups.values()).sort((x, y) => worst(y) - worst(x) || y[0].t - x[0].t);
    const items = ordered.map((list) => runnerGroup(list));
    const acked = mine.filter((a) => a.acked).slice(0, FEED_SHOWN);
    if (acked.length) {
      items.push(
        el("li", { class: "acked-group" },
          el("h3", { class: "group-head", text: `Acknowledged (${acked.length})` }),
          el("ol", { class: "feed-inner" }, ...acked.map(alertNode))),
      );
    }
    const keep = new Set(mine.map((a) => a.id));
    for (const id of Array.from(feedEls.keys())) if (!keep.has(id)) feedEls.delete(id);
    $feed.replaceChildren(...items);
    return open.length;
  }

  function alertNode(a) {
    let node = feedEls.get(a.id);
    if (!node || (a.acked && !node.classList.contains("acked"))) {
      const tile = state.tiles.get(key(a));
      if (tile && !a.name) a.name = tile.name;
      node = CW.alertItem(a, { showName: false, onAck: () => schedule() });
      feedEls.set(a.id, node);
    }
    return node;
  }

  function runnerGroup(list) {
    const a0 = list[0];
    const tile = state.tiles.get(key(a0));
    const name = (tile && tile.name) || a0.name || a0.athlete;
    const button = el("button", { type: "button", class: "ack ack-all", text: `Acknowledge all (${list.length})`,
      "aria-label": `Acknowledge all ${list.length} open alerts of ${name}` });
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Sending…";
      try {
        const res = await CW.ackAll(a0.squad, a0.athlete);
        for (const id of res.closed || []) onAck({ squad: a0.squad, athlete: a0.athlete, alert_id: id });
      } catch (err) {
        button.disabled = false;
        button.textContent = `Acknowledge all (${list.length})`;
        button.after(el("p", { class: "error", role: "alert", text: `Not sent: ${err.message}` }));
      }
    });
    return el(
      "li",
      { class: "runner-group", "data-athlete": a0.athlete, "data-squad": a0.squad },
      el("div", { class: "group-head" },
        el("a", { class: "who", href: CW.athletePath(a0), text: name }),
        el("span", { class: "count", text: `${list.length} open` }),
        button),
      el("ol", { class: "feed-inner" }, alertNode(list[0])),
      list.length > 1
        ? el("details", { class: "earlier" },
            el("summary", { text: `${list.length - 1} earlier open alert${list.length > 2 ? "s" : ""}` }),
            el("ol", { class: "feed-inner" }, ...list.slice(1).map(alertNode)))
        : null,
    );
  }

  function renderSquads() {
    const have = new Set(Array.from($squad.options).map((o) => o.value));
    for (const s of Array.from(state.squads).sort()) {
      if (!have.has(s)) $squad.append(el("option", { value: s, text: s }));
    }
    if (state.squad && !have.has(state.squad) && !state.squads.has(state.squad)) {
      $squad.append(el("option", { value: state.squad, text: state.squad }));
    }
    $squad.value = state.squad;
    document.getElementById("history-link").href = state.squad ? `/history?squad=${encodeURIComponent(state.squad)}` : "/history";
  }

  function render() {
    const tiles = Array.from(state.tiles.values())
      .filter((t) => !state.squad || t.squad === state.squad)
      .sort(CW.compareTiles);
    renderSquads();
    renderTiles(tiles);
    const open = renderFeed();
    renderSummary(tiles, open);
    // a background tab names the worst live runner by the tile's word (cramp included), high and above
    const top = tiles.length && CW.stateOf(tiles[0]) !== "finished" ? tiles[0] : null;
    document.title = top && CW.levelRank(CW.wordOf(top)) >= 2
      ? `${CW.LEVEL_WORD[CW.wordOf(top)]}: ${CW.displayName(top)} — crampwatch`
      : "crampwatch — squad";
  }

  const schedule = CW.throttle(render, 200);

  $squad.addEventListener("change", () => {
    state.squad = $squad.value;
    const url = new URL(location.href);
    if (state.squad) url.searchParams.set("squad", state.squad);
    else url.searchParams.delete("squad");
    history.replaceState(null, "", url);
    render();
  });

  setInterval(render, 5000); // "last update … ago" labels
  CW.connect("", { snapshot: onSnapshot, status: onStatus, alert: onAlert, ack: onAck });
})();
