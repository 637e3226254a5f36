// Shared by both pages: the API key kept for this tab only, JSON calls to the same server, safe rendering.
"use strict";

const ui = (() => {
  const KEY_STORE = "ci-resolver-key";

  function bindKey(input) {
    input.value = sessionStorage.getItem(KEY_STORE) || "";
    input.addEventListener("input", () => sessionStorage.setItem(KEY_STORE, input.value.trim()));
  }

  // `body` is sent as JSON, unless `contentType` is given: then it is sent as it is (a log file, a Blob).
  async function api(method, path, body, contentType) {
    const headers = { Accept: "application/json" };
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) headers["X-API-Key"] = key;
    if (body !== undefined) headers["Content-Type"] = contentType || "application/json";
    const payload = body === undefined || contentType ? body : JSON.stringify(body);
    const response = await fetch(path, { method, headers, body: payload });
    const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) {
      const field = data.field ? ` (${data.field})` : "";
      throw new Error(`${response.status}: ${data.error || "request failed"}${field}`);
    }
    return data;
  }

  // Elements are built with textContent only: whatever the text holds, it is shown, never run.
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else if (name === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function say(node, message, kind) {
    node.textContent = message;
    node.className = `status ${kind || ""}`;
  }

  return { api, bindKey, el, say };
})();
