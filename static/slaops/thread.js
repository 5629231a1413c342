/* The thread page: arriving at #composer (the inbox's `r`) puts the cursor in the reply box, and
 * `r` on the page itself does the same. Keys are ignored while typing in a field. No
 * dependencies; a file, not inline script, so it runs under the Content-Security-Policy.
 */
(function () {
  "use strict";

  function replyBox() { return document.querySelector("#composer textarea"); }

  function focusReply() {
    var box = replyBox();
    if (!box) return false;
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
    return true;
  }

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // Arriving at #composer: the browser's own move to the fragment gives the focus to the page
  // (a form is not focusable), after DOMContentLoaded; so focus once the page has loaded, and
  // only if nothing else was focused meanwhile.
  function arrived() {
    var idle = !document.activeElement || document.activeElement === document.body;
    if (window.location.hash === "#composer" && idle) focusReply();
  }
  document.addEventListener("DOMContentLoaded", arrived);
  window.addEventListener("load", function () { window.setTimeout(arrived, 0); });
  window.addEventListener("hashchange", function () {
    if (window.location.hash === "#composer") focusReply();
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "r" && focusReply()) event.preventDefault();
  });
})();
