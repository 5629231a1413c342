/* Breach queue: time left ticks down between refreshes, and the filters apply as they change.
 *
 * Each row carries data-left-seconds (business time left, computed by the server when the row
 * was rendered) and data-due (the due instant, ISO 8601). Between refreshes we count down in
 * wall time, which is right while the row's calendar is open; rows whose calendar is closed now
 * carry data-ticking="0" and stand still. The server's business-time figure replaces ours on
 * every refresh (htmx swaps the table body every few seconds), so any drift lasts seconds.
 */
(function () {
  "use strict";

  // The same words as the time_left filter (threads/templatetags/agent_pages.py): "23m",
  // "1h 05m", "4h", "45s" in the last minute, "due now" at the due instant, then counting up
  // overdue: "−20s", "−2h 10m".
  function formatLeft(seconds) {
    var whole = seconds >= 0 ? Math.floor(seconds) : -Math.floor(-seconds);
    if (whole === 0) return "due now";
    if (whole > 0 && whole < 60) return whole + "s";
    if (whole < 0 && whole > -60) return "\u2212" + (-whole) + "s";
    var minutes = seconds >= 0 ? Math.floor(seconds / 60) : -Math.floor(-seconds / 60);
    var sign = minutes < 0 ? "\u2212" : "";
    var total = Math.abs(minutes);
    var hours = Math.floor(total / 60);
    var rest = total % 60;
    if (hours && rest) return sign + hours + "h " + (rest < 10 ? "0" : "") + rest + "m";
    if (hours) return sign + hours + "h";
    return sign + rest + "m";
  }

  function stamp(root) {
    var now = Date.now();
    (root || document).querySelectorAll("tr[data-left-seconds]").forEach(function (row) {
      if (!row.dataset.renderedAt) row.dataset.renderedAt = String(now);
    });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("tr[data-left-seconds]").forEach(function (row) {
      if (!row.dataset.renderedAt) row.dataset.renderedAt = String(now);
      if (row.dataset.ticking !== "1") return;
      var elapsed = (now - Number(row.dataset.renderedAt)) / 1000;
      var left = Number(row.dataset.leftSeconds) - elapsed;
      var cell = row.querySelector("td.left time");
      if (!cell) return;
      var text = formatLeft(left);
      if (cell.textContent !== text) cell.textContent = text;
      // Past due before the next refresh says "breaching": show it late already.
      cell.parentNode.classList.toggle("late", left < 0);
    });
  }

  function autoSubmit() {
    var form = document.getElementById("queue-filters");
    if (!form) return;
    form.addEventListener("change", function () {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    stamp(document);
    autoSubmit();
    setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSettle", function (event) { stamp(event.target); });
})();
