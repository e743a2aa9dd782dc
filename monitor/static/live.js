/* crampwatch dashboard: the page's link to the monitor (loaded after common.js, whose CW it extends): the coach
 * token, coach actions (POST, acknowledge), the event stream with its badge, and the alert item that carries the
 * Acknowledge button. */
"use strict";

Object.assign(CW, (() => {
  const { num, fmtAgo, fmtClock, fmtPace, fmtNum, el, ALERT_WORD, reasonList, athletePath } = CW;

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

  /** POST /api/ack-all: every open alert of the runner. */
  function ackAll(squad, athlete) {
    return post("/api/ack-all", { squad, athlete });
  }

  /** Connect to /events; handlers: snapshot, status, alert, ack, health. The badge (#conn) shows the browser's
   * link to the monitor AND the monitor's own health: its broker connection and whether data is fresh. */
  function connect(query, handlers) {
    const conn = document.getElementById("conn");
    let link = "connecting";
    let health = null;
    const show = () => {
      if (!conn) return;
      let state = "connecting";
      let text = "connecting…";
      let title = "connecting to the monitor";
      if (link === "down") [state, text, title] = ["down", "reconnecting…", "the browser lost the monitor"];
      else if (link === "up" && health && health.state === "down") {
        [state, text, title] = ["down", "broker down", "the monitor lost its MQTT broker: no new data"];
      } else if (link === "up" && health && health.state === "stale") {
        const age = num(health.data_age_s);
        [state, text] = ["stale", age === null ? "no data" : `no data for ${fmtAgo(age).replace(" ago", "")}`];
        title = "runners are live but no status came lately";
      } else if (link === "up") [state, text, title] = ["live", "live", "monitor connected to its broker, data flowing"];
      conn.dataset.state = state;
      conn.textContent = text;
      conn.title = title;
    };
    const source = new EventSource("/events" + (query ? `?${query}` : ""));
    source.onopen = () => {
      link = "up";
      show();
    };
    source.onerror = () => {
      link = "down";
      show();
    };
    for (const kind of ["snapshot", "status", "alert", "ack", "health"]) {
      source.addEventListener(kind, (ev) => {
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch (e) {
          return;
        }
        if (kind === "snapshot" || kind === "health") {
          health = kind === "health" ? data : data.health || health;
          link = "up";
          show();
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

  /** What the runner did after a stored alert, as the report's "next 5 min" column says it (null without it). */
  function responseLine(r) {
    if (!r) return null;
    const after = num(r.after_s) || 0;
    if (!after) return el("p", { class: "after", text: "After it: no data." });
    const span = after >= 300 ? "Next 5 min" : `Next ${Math.round(after)} s`;
    // a runner who only stopped or walked afterwards has no running pace after it: say so, not "—"
    const pace = num(r.pace_after) === null && num(r.stopped_s)
      ? `${fmtPace(r.pace_before)} /km → not running`
      : `${fmtPace(r.pace_before)} → ${fmtPace(r.pace_after)} /km`;
    let text = `${span}: pace ${pace}`
      + ` · cadence ${fmtNum(r.cadence_before)} → ${fmtNum(r.cadence_after)} spm`;
    if (num(r.stopped_s)) text += ` · stopped or walked ${Math.round(r.stopped_s)} s`;
    return el("p", { class: "after", title: "means over the 5 min before the alert → after it (pace: running only)", text });
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
      // a past session's alert also counts from its start, as its charts and its report do
      el("time", { class: "when", text: num(opts.start) === null ? fmtClock(a.t) : `${CW.fmtElapsed(a.t - opts.start)} into the run · ${fmtClock(a.t)}` }),
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
    const reasons = reasonList(a.factors, {});
    const detail = a.detail || reasons.length
      ? el("details", {}, el("summary", { text: "Why" }),
          reasons.length ? el("p", { class: "why", text: reasons.join(" · ") }) : null,
          a.detail ? el("p", { class: "why-detail", text: a.detail }) : null)
      : null;
    // what a live alert lacks (what the runner did after it; a why) is left out: DOM append writes a null as "null"
    for (const part of [head, el("p", { class: "message", text: a.message }), responseLine(a.response), detail, button]) {
      if (part) li.append(part);
    }
    return li;
  }

  return { ack, ackAll, post, connect, throttle, alertItem };
})());
