/* Alert channel form: only the chosen kind's fields are shown, named for that kind.
 *
 * The kind menu carries data-kind-fields, {kind: [field names]} from policies/alert_kinds.py
 * TRANSPORTS, and data-kind-texts, {kind: {field: [label, help]}} from policies/forms.py; the
 * admin wraps each field in a row with the class "field-<name>". Without this script every
 * field shows with its generic label, and the form empties the ones the kind does not use on
 * save.
 */
(function () {
  "use strict";

  function remember(row) {
    var label = row.querySelector("label");
    // The field's own help (the admin gives it an id), not a widget's note such as a saved
    // secret's "Saved: ••••3f2a. Leave empty to keep it".
    var help = row.querySelector("[id$='_helptext']");
    if (label && row.dataset.label === undefined) { row.dataset.label = label.textContent; }
    if (help && row.dataset.help === undefined) { row.dataset.help = help.textContent; }
    return [label, help];
  }

  function show(menu) {
    var fields = JSON.parse(menu.dataset.kindFields);
    var texts = JSON.parse(menu.dataset.kindTexts || "{}")[menu.value] || {};
    var used = fields[menu.value];
    var all = {};
    Object.keys(fields).forEach(function (kind) {
      fields[kind].forEach(function (name) { all[name] = true; });
    });
    Object.keys(all).forEach(function (name) {
      menu.form.querySelectorAll(".field-" + name).forEach(function (row) {
        row.hidden = Boolean(used) && used.indexOf(name) === -1;
        var parts = remember(row), text = texts[name];
        if (parts[0]) { parts[0].textContent = text ? text[0] + ":" : row.dataset.label; }
        if (parts[1]) { parts[1].textContent = text ? text[1] : row.dataset.help; }
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
