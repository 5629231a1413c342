// The inbox's keyboard and bulk bar: j/k move, o/Enter open, r reply, x tick, e resolve,
// / search, ? help. Keys are ignored while typing in a field. No dependencies.
(function () {
  "use strict";
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("#inbox-rows tr[data-thread]")); };
  var help = document.getElementById("inbox-help");
  var bulk = document.getElementById("inbox-bulk");
  var current = -1;

  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) {
      row.classList.toggle("cursor", i === index);
      if (i === index) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    });
    current = index;
    all[index].scrollIntoView({ block: "nearest" });
  }

  function currentRow() { return current >= 0 ? rows()[current] : null; }

  function showHelp(open) {
    if (!help) return;
    help.hidden = !open;
    if (open) document.getElementById("inbox-help-close").focus();
  }

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function resolve(row) {
    rows().forEach(function (r) { r.querySelector("input[name=threads]").checked = r === row; });
    bulk.querySelector("#bulk-action").value = "status";
    bulk.querySelector("select[name=status]").value = "resolved";
    showFor("status");
    bulk.submit();
  }

  function showFor(action) {
    Array.prototype.forEach.call(bulk.querySelectorAll("[data-for]"), function (el) {
      el.hidden = el.getAttribute("data-for") !== action;
    });
  }

  function counted() {
    var n = bulk.querySelectorAll("input[name=threads]:checked").length;
    document.getElementById("bulk-count").textContent = n ? n + " ticked:" : "With the ticked threads:";
    document.getElementById("bulk-bar").classList.toggle("active", n > 0);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (help && !help.hidden) {
      if (event.key === "Escape" || event.key === "?") { event.preventDefault(); showHelp(false); }
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var row = currentRow();
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "Enter": if (!row || event.target !== document.body) return; // a focused link or button keeps its Enter
        window.location.href = row.getAttribute("data-url"); break;
      case "o": if (row) window.location.href = row.getAttribute("data-url"); break;
      case "r": if (row) window.location.href = row.getAttribute("data-url") + "#composer"; break;
      case "x": if (row) { var box = row.querySelector("input[name=threads]"); box.checked = !box.checked; counted(); } break;
      case "e": if (row) resolve(row); break;
      case "/": document.getElementById("inbox-q").focus(); break;
      case "?": showHelp(true); break;
      default: return;
    }
    event.preventDefault();
  });

  if (help) {
    document.getElementById("inbox-help-open").addEventListener("click", function () { showHelp(true); });
    document.getElementById("inbox-help-close").addEventListener("click", function () { showHelp(false); });
    help.addEventListener("click", function (event) { if (event.target === help) showHelp(false); });
  }
  if (bulk) {
    var action = bulk.querySelector("#bulk-action");
    showFor(action.value);
    action.addEventListener("change", function () { showFor(action.value); });
    bulk.addEventListener("change", function (event) { if (event.target.name === "threads") counted(); });
    var all = document.getElementById("pick-all");
    all.addEventListener("change", function () {
      rows().forEach(function (r) { r.querySelector("input[name=threads]").checked = all.checked; });
      counted();
    });
    rows().forEach(function (r, i) {
      r.addEventListener("click", function (event) { if (event.target.tagName !== "A" && event.target.tagName !== "INPUT") select(i); });
    });
  }
})();
