// Shared helpers for the page scripts. Every page works without them; they
// only make things quicker. No inline scripts: the Content-Security-Policy
// allows scripts from this origin only.
"use strict";
window.Rapport = (function () {
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  // Calls the JSON API as the signed-in user (session cookie + CSRF header).
  // Resolves to {status, body, etag}; never rejects on an HTTP error status.
  function api(method, url, body, ifMatch) {
    var headers = { "Accept": "application/json", "X-CSRF-Token": csrf() };
    if (body !== undefined) headers["Content-Type"] = method === "PATCH" ? "application/merge-patch+json" : "application/json";
    if (ifMatch) headers["If-Match"] = ifMatch;
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      var etag = res.headers.get("ETag");
      return res.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = { detail: text }; }
        return { status: res.status, body: parsed, etag: etag };
      });
    });
  }

  // A short message at the top of the page, read out by screen readers.
  function announce(text, isError) {
    var box = document.getElementById("live-status");
    if (!box) {
      box = document.createElement("div");
      box.id = "live-status";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      box.className = "toast";
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.classList.toggle("error", !!isError);
    box.classList.add("shown");
    clearTimeout(announce.timer);
    announce.timer = setTimeout(function () { box.classList.remove("shown"); }, 4000);
  }

  // The fields a problem+json answer refused, worded from the page's catalog:
  // `messages` is the JSON of the validation messages by code
  // (`invalid`) or by code and field (`invalid-email`), as the server words
  // them. The API's English only for a code the catalog does not know; ""
  // when the answer names no field, for the caller's own message.
  function problemText(body, messages) {
    var dict = {};
    try { dict = JSON.parse(messages || "{}"); } catch (e) { dict = {}; }
    return ((body && body.errors) || []).map(function (e) {
      var code = String(e.code || "").replace(/_/g, "-");
      var field = String(e.field || "");
      var leaf = field.split(".").pop().split("[")[0].replace(/_/g, "-");
      var own = field.indexOf("custom.") !== 0 && leaf ? dict[code + "-" + leaf] : undefined;
      return own || dict[code] || e.message || "";
    }).filter(Boolean).join(" ");
  }

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  return { csrf: csrf, api: api, announce: announce, problemText: problemText, onReady: onReady };
})();
