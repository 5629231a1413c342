// Furo's theme choice (light, dark, auto) applied before the page paints; see _templates/base.html.
document.body.dataset.theme = localStorage.getItem("theme") || "auto";
