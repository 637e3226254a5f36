// VM2's page: ask, read the answer with its evidence, say whether it helped (POST /feedback).
"use strict";

let answerId = null;
const $ = (id) => document.getElementById(id);

async function ask() {
  ui.say($("ask-status"), "Thinking…");
  $("ask").disabled = true;
  try {
    const body = await ui.api("POST", "/resolve", { issue: $("issue").value });
    show(body);
    ui.say($("ask-status"), `answered in ${Math.round(body.latency_ms)} ms`, "ok");
  } catch (error) {
    ui.say($("ask-status"), error.message, "error");
  } finally {
    $("ask").disabled = false;
  }
}

function show(body) {
  answerId = body.answer_id;
  $("result").classList.remove("hidden");
  $("answer").textContent = body.resolution;
  $("kind").textContent = body.known_fix ? "Known fix" : "Suggestion";
  $("kind").className = `badge ${body.known_fix ? "known" : "suggestion"}`;
  const basis = body.known_fix ? `the team's fix, from known pair ${body.based_on.join(", ")}` : "no close known fix: a suggestion";
  $("about").textContent = `${basis} · model ${body.model_version}`;
  $("evidence").replaceChildren(...body.similar.map((pair) => ui.el("li", {},
    ui.el("div", { text: pair.issue }),
    ui.el("div", { class: "muted", text: `fix: ${pair.resolution} · score ${pair.score.toFixed(2)} · pair ${pair.id}` }))));
  $("correction-form").classList.add("hidden");
  setFeedbackEnabled(Boolean(answerId));
  ui.say($("feedback-status"), answerId ? "" : "this answer was not recorded: feedback is not possible", answerId ? "" : "error");
}

function setFeedbackEnabled(enabled) {
  for (const id of ["accept", "reject", "correct", "send-correction"]) $(id).disabled = !enabled;
}

async function sendFeedback(verdict, extra) {
  try {
    await ui.api("POST", "/feedback", { answer_id: answerId, verdict, ...extra });
    setFeedbackEnabled(false);
    $("correction-form").classList.add("hidden");
    ui.say($("feedback-status"), "Thank you: the training team will review it.", "ok");
  } catch (error) {
    ui.say($("feedback-status"), error.message, "error");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  ui.bindKey($("key"));
  $("ask").addEventListener("click", ask);
  $("accept").addEventListener("click", () => sendFeedback("accepted", {}));
  $("reject").addEventListener("click", () => sendFeedback("rejected", {}));
  $("correct").addEventListener("click", () => $("correction-form").classList.remove("hidden"));
  $("send-correction").addEventListener("click", () => {
    const comment = $("comment").value.trim();
    sendFeedback("corrected", { correction: $("correction").value, ...(comment ? { comment } : {}) });
  });
});
