// The main menu on a narrow screen: folded behind the Menu button, unfolded by it.
// Without this script the menu stays unfolded (the stylesheet folds it only once
// the top bar is marked menu-ready), so every page stays reachable.
(function () {
  "use strict";
  function setUp() {
    var bar = document.querySelector(".topbar");
    var button = bar && bar.querySelector(".menu-button");
    if (!button) {
      return;
    }
    button.hidden = false;
    bar.classList.add("menu-ready");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      bar.classList.toggle("menu-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("menu-open")) {
        button.setAttribute("aria-expanded", "false");
        bar.classList.remove("menu-open");
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
