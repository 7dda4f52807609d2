// A bulk box shows only the fields of the chosen action. The fieldset names them:
// <fieldset data-action-fields='{"assign_team": ["team"], ...}'> around a select named "action".
// Without this script every field shows, and the server still checks what each action needs.
(function () {
  "use strict";
  function setUp(box) {
    var form = box.form || box.closest("form");
    var action = box.querySelector('select[name="action"]');
    var byAction;
    try {
      byAction = JSON.parse(box.getAttribute("data-action-fields"));
    } catch (error) {
      return;
    }
    if (!form || !action || !byAction) {
      return;
    }
    var names = [];
    Object.keys(byAction).forEach(function (key) {
      byAction[key].forEach(function (name) {
        if (names.indexOf(name) < 0) {
          names.push(name);
        }
      });
    });
    function wrapper(name) {
      var control = box.querySelector('[name="' + name + '"]');
      return control && (control.closest(".field") || control.parentElement);
    }
    function show() {
      var wanted = byAction[action.value] || [];
      names.forEach(function (name) {
        var field = wrapper(name);
        if (field) {
          field.hidden = wanted.indexOf(name) < 0;
        }
      });
    }
    action.addEventListener("change", show);
    show();
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("fieldset[data-action-fields]"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
