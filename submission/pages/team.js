// VM1's page: submit pairs, review the pending ones (approve / edit / reject), see the dataset and the versions.
"use strict";

const $ = (id) => document.getElementById(id);
const figure = (value) => (value === null || value === undefined ? "–" : Number(value).toFixed(3));

async function refresh() {
  try {
    const [stats, pending, versions] = await Promise.all([
      ui.api("GET", "/stats"),
      ui.api("GET", "/pairs?status=pending&limit=200"),
      ui.api("GET", "/versions"),
    ]);
    showStats(stats);
    showQueue(pending.items);
    showVersions(versions);
    ui.say($("load-status"), "");
  } catch (error) {
    ui.say($("load-status"), error.message, "error");
  }
}

function showStats(stats) {
  const by = stats.by_status;
  $("stats").textContent = `${stats.total} pairs: ${by.approved} approved, ${by.pending} pending, ${by.rejected} ` +
    `rejected · ${stats.from_feedback} from VM2 feedback · ${stats.flagged} flagged by rejected answers`;
}

function showQueue(pairs) {
  $("queue").replaceChildren(...pairs.map(queueRow));
  ui.say($("queue-status"), pairs.length ? "" : "Nothing to review.");
}

function queueRow(pair) {
  const fix = ui.el("textarea", { class: "fix", "data-pair": String(pair.id) });
  fix.value = pair.resolution;
  const source = pair.feedback
    ? `${pair.feedback.verdict} by ${pair.submitted_by} on ${pair.feedback.model_version}` +
      (pair.feedback.comment ? ` — “${pair.feedback.comment}”` : "")
    : `submitted by ${pair.submitted_by}`;
  const review = (status) => reviewPair(pair, status, fix.value);
  const question = ui.el("td", { class: "text question", text: pair.issue });
  if (pair.log_excerpt) { // the log lines the failure was found by (redacted on VM2), under the headline
    question.append(ui.el("pre", { class: "log-excerpt", text: pair.log_excerpt }));
  }
  return ui.el("tr", { "data-pair": String(pair.id) },
    question,
    ui.el("td", { class: "text model-answer", text: pair.feedback ? pair.feedback.model_answer || "" : "" }),
    ui.el("td", {}, fix),
    ui.el("td", { class: "muted", text: source }),
    ui.el("td", {},
      ui.el("button", { class: "primary approve", text: "Approve", on: { click: () => review("approved") } }),
      ui.el("button", { class: "reject", text: "Reject", on: { click: () => review("rejected") } })));
}

async function reviewPair(pair, status, resolution) {
  const body = { status };
  if (resolution.trim() !== pair.resolution) body.resolution = resolution;
  try {
    await ui.api("PATCH", `/pairs/${pair.id}`, body);
    await refresh(); // first: redrawing an emptied queue says "Nothing to review." and would hide the outcome
    const left = $("queue").children.length;
    ui.say($("queue-status"), `pair ${pair.id} ${status}${left ? "" : "; nothing left to review"}`, "ok");
  } catch (error) {
    ui.say($("queue-status"), `pair ${pair.id}: ${error.message}`, "error");
  }
}

function showVersions(versions) {
  $("versions").replaceChildren(...versions.map((v) => ui.el("tr", {},
    ...[v.version, v.parent || "–", v.pairs ?? "–", v.new_pairs ?? "–", v.from_feedback, figure(v.known_served_f1),
      figure(v.unknown_served_f1), figure(v.hit_at_1), v.error || v.aliases.join(", ")].map(
      (text) => ui.el("td", { text: String(text) })))));
}

async function submitPair() {
  try {
    const body = { issue: $("submit-issue").value, resolution: $("submit-resolution").value };
    const stored = await ui.api("POST", "/submit", body);
    $("submit-issue").value = "";
    $("submit-resolution").value = "";
    await refresh(); // the confirmation comes once the lists show the new pair: nothing is redrawn after it
    ui.say($("submit-status"), `stored as pair ${stored.id} (${stored.status}); ${stored.count} pairs in all`, "ok");
  } catch (error) {
    ui.say($("submit-status"), error.message, "error");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  ui.bindKey($("key"));
  $("refresh").addEventListener("click", refresh);
  $("submit").addEventListener("click", submitPair);
  if (sessionStorage.getItem("ci-resolver-key")) refresh();
});
