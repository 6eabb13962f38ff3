// Instant results in the search box of every page, and the keyboard
// shortcuts that reach it: "/" or Ctrl+K (Cmd+K). Without script the box is a
// plain form that opens the results page.
"use strict";
Rapport.onReady(function () {
  var input = document.querySelector("input[data-palette]");
  if (!input) return;
  var form = input.form;
  var list = document.createElement("ul");
  list.id = "palette-results";
  list.className = "palette";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", form.getAttribute("data-results") || "");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  var timer = null;
  var active = -1;
  var seq = 0;

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(i) {
    var opts = options();
    if (!opts.length) return;
    active = (i + opts.length) % opts.length;
    opts.forEach(function (o, j) { o.setAttribute("aria-selected", j === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", opts[active].id);
    opts[active].scrollIntoView({ block: "nearest" });
  }

  function option(id, href, label, note) {
    var li = document.createElement("li");
    li.id = id;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    // No link inside an option: interactive controls must not be nested.
    li.setAttribute("data-href", href);
    var name = document.createElement("span");
    name.className = "palette-label";
    name.textContent = label;
    li.appendChild(name);
    if (note) {
      var span = document.createElement("span");
      span.className = "muted";
      span.textContent = " " + note;
      li.appendChild(span);
    }
    li.addEventListener("mousedown", function (ev) { ev.preventDefault(); window.location.href = href; });
    return li;
  }

  function render(items, q) {
    list.textContent = "";
    items.forEach(function (h, i) {
      var kind = form.getAttribute("data-kind-" + h.kind) || h.kind;
      var href = h.type ? "/objects/" + encodeURIComponent(h.type) + "/" + h.id
        : "/" + ({ person: "people", organization: "organizations", deal: "deals", activity: "activities", task: "tasks" }[h.kind] || h.kind) + "/" + h.id;
      list.appendChild(option("palette-opt-" + i, href, h.label || kind, kind));
    });
    list.appendChild(option("palette-opt-all", "/search?q=" + encodeURIComponent(q), form.getAttribute("data-see-all") || "", ""));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }

  function lookup() {
    var q = input.value.trim();
    if (!q) { close(); return; }
    var mine = ++seq;
    fetch("/api/v1/search?limit=8&q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : { items: [] }; })
      .then(function (body) { if (mine === seq) render(body.items || [], q); })
      .catch(function () { /* the form still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 120);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown") { ev.preventDefault(); if (list.hidden) lookup(); else highlight(active + 1); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); highlight(active - 1); }
    else if (ev.key === "Escape") { close(); }
    else if (ev.key === "Enter" && active >= 0) {
      ev.preventDefault();
      window.location.href = options()[active].getAttribute("data-href");
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if ((ev.key === "k" || ev.key === "K") && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      input.focus();
      input.select();
    } else if (ev.key === "/" && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      input.focus();
    }
  });
});
