/* The managers' admin: a menu that follows another (a country's states and regions).
 *
 * A <select data-follows="id_country"> groups its options by the leading menu's option text;
 * only the chosen one's group shows. Without this script every group shows, and the form
 * still refuses a region of another country.
 */
(function () {
  "use strict";

  function follow(menu, leader) {
    var chosen = leader.options[leader.selectedIndex];
    var name = chosen && chosen.value ? chosen.textContent : "";
    var keep = false;
    Array.prototype.forEach.call(menu.querySelectorAll("optgroup"), function (group) {
      var mine = group.label === name;
      group.hidden = !mine;
      group.disabled = !mine;
      if (mine && menu.selectedOptions[0] && menu.selectedOptions[0].parentNode === group) {
        keep = true;
      }
    });
    if (!keep) { menu.value = ""; }
    var row = menu.closest(".form-row");
    var any = Array.prototype.some.call(menu.querySelectorAll("optgroup"), function (g) {
      return !g.hidden;
    });
    if (row) { row.hidden = !any; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-follows]").forEach(function (menu) {
      var leader = document.getElementById(menu.dataset.follows);
      if (!leader) { return; }
      follow(menu, leader);
      leader.addEventListener("change", function () { follow(menu, leader); });
    });
  });
})();
