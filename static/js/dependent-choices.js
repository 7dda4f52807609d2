// A <select data-depends-on="customer"> offers only the options whose data-parent is the
// value chosen in the form's field of that name, and none until one is chosen
// (core.widgets.DependentSelect). The server still checks every pair.
(function () {
  "use strict";
  function setUp(select) {
    var form = select.form;
    var parent = form && form.elements[select.getAttribute("data-depends-on")];
    if (!parent || !parent.addEventListener) {
      return;
    }
    var options = Array.prototype.slice.call(select.options);
    function filter() {
      var chosen = parent.value;
      options.forEach(function (option) {
        var fits = !option.value || (chosen !== "" && option.getAttribute("data-parent") === chosen);
        option.hidden = !fits;
        option.disabled = !fits;
        if (!fits && option.selected) {
          option.selected = false;
          select.value = "";
        }
      });
    }
    parent.addEventListener("change", filter);
    filter();
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-depends-on]"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
