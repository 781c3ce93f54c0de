/* A campaign's live progress: poll its small JSON endpoint and redraw the bar and counts. */
"use strict";
// The admin loads form media in <head>: start once the page is parsed.
document.addEventListener("DOMContentLoaded", function () {
  const configNode = document.getElementById("attentive-campaign-config");
  const initialNode = document.getElementById("attentive-campaign-initial");
  const root = document.getElementById("attentive-campaign");
  if (!configNode || !initialNode || !root) return;
  const config = JSON.parse(configNode.textContent);
  const STATE_LABELS = { active: "Active", paused: "Paused", cancelled: "Cancelled" };

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
  }

  function share(value) {
    return value === null || value === undefined ? "—" : (100 * value).toFixed(1) + "%";
  }

  function text(id, value) {
    const node = document.getElementById(id);
    if (node) node.textContent = value;
  }

  function draw(progress) {
    const total = progress.total || 0;
    root.dataset.state = progress.state;
    root.dataset.finished = progress.finished ? "true" : "false";
    root.dataset.done = progress.done;
    text("attentive-done", progress.done.toLocaleString());
    text("attentive-total", total.toLocaleString());
    text("attentive-percent", progress.percent_done);
    const label = document.getElementById("attentive-state-label");
    if (label) {
      const finished = progress.finished && progress.state === "active";
      label.textContent = finished ? "Finished" : STATE_LABELS[progress.state] || progress.state;
      label.className = "attentive-campaign-state attentive-campaign-" +
        (finished ? "finished" : progress.state);
    }
    const bar = document.getElementById("attentive-bar");
    bar.setAttribute("aria-valuenow", progress.done);
    bar.setAttribute("aria-valuemax", total);
    for (const part of bar.querySelectorAll("[data-status]")) {
      const count = progress.counts[part.dataset.status] || 0;
      part.style.width = total ? (100 * count / total) + "%" : "0";
    }
    for (const node of root.querySelectorAll("[data-count]")) {
      node.textContent = (progress.counts[node.dataset.count] || 0).toLocaleString();
    }
    text("attentive-rate", progress.rate);
    text("attentive-rate-limit", progress.rate_limit);
    text("attentive-eta", progress.state === "paused" ? "paused" : duration(progress.eta_seconds));
    text("attentive-eta-limit", duration(progress.eta_at_limit_seconds));
    text("attentive-finished-at",
      progress.finished_at ? new Date(progress.finished_at).toLocaleString() : "—");
    const engagement = progress.engagement;
    for (const node of root.querySelectorAll("[data-engagement]")) {
      node.textContent = engagement[node.dataset.engagement].toLocaleString();
    }
    for (const node of root.querySelectorAll("[data-rate]")) {
      node.textContent = share(engagement.rates[node.dataset.rate]);
    }
  }

  function poll() {
    fetch(config.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (progress) {
        draw(progress);
        // Quick while texts are going out; slower after, for webhook events still arriving.
        const busy = progress.pending > 0 && progress.state === "active";
        window.setTimeout(poll, busy ? config.interval : config.interval * 5);
      })
      .catch(function () { window.setTimeout(poll, config.interval * 5); });
  }

  draw(JSON.parse(initialNode.textContent));
  window.setTimeout(poll, config.interval);
});
