// VM2's page: ask (a question, a pasted log or a log file), read the answer with its evidence and the log lines
// it found, say whether it helped (POST /feedback). /?answer=<id> opens a recorded answer (the CI clients' link).
"use strict";

let answerId = null;
let logFile = null; // a chosen or dropped log file: sent as it is to /resolve/log
const $ = (id) => document.getElementById(id);
const PASTED_LOG_LINES = 20; // as /v1: a paste this long, or with terminal codes, is a log

function looksLikeLog(text) {
  return text.length > 2000 || text.split("\n").length > PASTED_LOG_LINES || text.includes("\x1b");
}

function request() {
  if (logFile) return ui.api("POST", "/resolve/log", logFile, "application/octet-stream");
  const text = $("issue").value;
  if (looksLikeLog(text)) return ui.api("POST", "/resolve/log", text, "text/plain");
  return ui.api("POST", "/resolve", { issue: text });
}

function useFile(file) {
  logFile = file || null;
  ui.say($("ask-status"), logFile ? `${logFile.name} (${Math.ceil(logFile.size / 1024)} KB) will be sent` : "");
}

async function ask() {
  ui.say($("ask-status"), "Thinking…");
  $("ask").disabled = true;
  try {
    const body = await request();
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
    ui.el("div", { text: pair.issue ?? `pair ${pair.id} (not in the served version)` }),
    ui.el("div", { class: "muted", text: `fix: ${pair.resolution ?? "–"} · score ${pair.score.toFixed(2)} · pair ${pair.id}` }))));
  showLog(body.log);
  $("correction-form").classList.add("hidden");
  setFeedbackEnabled(Boolean(answerId));
  ui.say($("feedback-status"), answerId ? "" : "this answer was not recorded: feedback is not possible", answerId ? "" : "error");
}

function showLog(log) {
  $("log-section").classList.toggle("hidden", !log);
  if (!log) return;
  if (typeof log.signature === "string") { // a recorded answer keeps the quoted lines as text
    $("log-about").textContent = `failure ${log.fingerprint}`;
    $("signature").replaceChildren(ui.el("li", {}, ui.el("pre", { class: "log-excerpt", text: log.signature })));
    return;
  }
  $("log-about").textContent = `${log.lines} lines, ${Math.ceil(log.bytes / 1024)} KB · failure ${log.fingerprint}`;
  $("signature").replaceChildren(...log.signature.map((block) => ui.el("li", {},
    ui.el("div", { class: "muted", text: `lines ${block.first_line}–${block.last_line}` }),
    ui.el("pre", { class: "log-excerpt", text: block.lines.map((line) => `${String(line.number).padStart(7)} | ${line.text}`).join("\n") }))));
}

async function openRecorded(id) {
  ui.say($("ask-status"), "Opening the answer…");
  try {
    const body = await ui.api("GET", `/answers/${encodeURIComponent(id)}`);
    $("issue").value = body.issue;
    show(body);
    const when = `answered ${body.created_at}`;
    if (body.verdict) {
      setFeedbackEnabled(false);
      ui.say($("feedback-status"), `feedback already given: ${body.verdict}`, "ok");
    }
    ui.say($("ask-status"), when, "ok");
  } catch (error) {
    ui.say($("ask-status"), error.message, "error");
  }
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
  $("log-file").addEventListener("change", (event) => useFile(event.target.files[0]));
  $("issue").addEventListener("input", () => useFile(null));
  $("issue").addEventListener("dragover", (event) => event.preventDefault());
  $("issue").addEventListener("drop", (event) => {
    event.preventDefault();
    useFile(event.dataTransfer.files[0]);
  });
  $("accept").addEventListener("click", () => sendFeedback("accepted", {}));
  $("reject").addEventListener("click", () => sendFeedback("rejected", {}));
  $("correct").addEventListener("click", () => $("correction-form").classList.remove("hidden"));
  $("send-correction").addEventListener("click", () => {
    const comment = $("comment").value.trim();
    sendFeedback("corrected", { correction: $("correction").value, ...(comment ? { comment } : {}) });
  });
  const recorded = new URLSearchParams(window.location.search).get("answer");
  if (recorded) openRecorded(recorded);
});
