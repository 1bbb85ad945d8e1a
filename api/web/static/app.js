// Small and optional: the pages work without it. A form's buttons are disabled once it is sent, so a
// second click does nothing visible; the idempotency key in the form makes a repeated post harmless anyway.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.method.toLowerCase() !== "post") return;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
  }, 0);
});
