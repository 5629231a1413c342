/* Alert channel form: only the chosen kind's fields are shown.
 *
 * The kind menu carries data-kind-fields, {kind: [field names]} from policies/alert_kinds.py
 * TRANSPORTS; the admin wraps each field in a row with the class "field-<name>". Without this
 * script every field shows, and the form empties the ones the kind does not use on save.
 */
(function () {
  "use strict";

  function show(menu) {
    var fields = JSON.parse(menu.dataset.kindFields);
    var used = fields[menu.value];
    var all = {};
    Object.keys(fields).forEach(function (kind) {
      fields[kind].forEach(function (name) { all[name] = true; });
    });
    Object.keys(all).forEach(function (name) {
      var rows = menu.form.querySelectorAll(".field-" + name);
      rows.forEach(function (row) {
        row.hidden = Boolean(used) && used.indexOf(name) === -1;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-kind-fields]").forEach(function (menu) {
      show(menu);
      menu.addEventListener("change", function () { show(menu); });
    });
  });
})();
