// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Show the evidence fields that match the chosen relationship (parent / agent).
  function syncRelationship(form) {
    var checked = form.querySelector('input[name="relationship"]:checked');
    var value = checked ? checked.value : "self";
    form.querySelectorAll("[data-show-for]").forEach(function (field) {
      var wanted = field.getAttribute("data-show-for").split(" ");
      var show = wanted.indexOf(value) !== -1 || field.classList.contains("has-error");
      field.hidden = !show;
    });
    var panel = form.querySelector("[data-relationship-panel]");
    if (panel) {
      panel.hidden = value === "self" && !panel.querySelector(".has-error");
    }
  }

  // One submission per click: the server is idempotent too, this just avoids a confusing wait.
  function guardDoubleSubmit(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      form.querySelectorAll('button[type="submit"]').forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("is-sending");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.request-form").forEach(function (form) {
      syncRelationship(form);
      form.querySelectorAll('input[name="relationship"]').forEach(function (radio) {
        radio.addEventListener("change", function () { syncRelationship(form); });
      });
    });
    document.querySelectorAll("form[data-once]").forEach(guardDoubleSubmit);
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  });
})();
