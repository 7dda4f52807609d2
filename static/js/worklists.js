// Keyboard shortcuts for the busiest actions (listed under "?", templates/core/_shortcuts.html),
// choosing rows of the work lists, and their "select every row" boxes.
// A static file: the Content-Security-Policy runs no inline script. Without it every page
// works as before: the shortcuts are a faster way to what the page already offers.
(function () {
  "use strict";

  var FIELD = "textarea, select, [contenteditable='true'], [contenteditable='']";
  var NOT_TYPED = ["checkbox", "radio", "submit", "button", "reset", "file", "image"];
  var current = -1;
  var pending = "";
  var pendingTimer = 0;

  // Keys typed into a field are the field's.
  function typing(target) {
    if (!target || !target.closest) {
      return false;
    }
    if (target.tagName === "INPUT") {
      return NOT_TYPED.indexOf(target.type) < 0;
    }
    return Boolean(target.closest(FIELD));
  }

  function first(selectors) {
    for (var i = 0; i < selectors.length; i += 1) {
      var found = document.querySelector(selectors[i]);
      if (found) {
        return found;
      }
    }
    return null;
  }

  // What a key does when the page marks no element with data-shortcut for it.
  var FALLBACKS = {
    "/": ["main form[role='search'] input[name='q']", "main input[type='search']"],
    "c": ["#comment-form textarea", "main form[id*='comment'] textarea"],
    "e": ["main a[href$='/escalate/']"],
    "n": ["main a[href$='/tickets/new/']"]
  };

  function targetOf(key) {
    return document.querySelector("[data-shortcut='" + key + "']") || first(FALLBACKS[key] || []);
  }

  function activate(element) {
    if (element.matches("input, textarea, select")) {
      element.focus();
      if (element.select && element.type !== "checkbox") {
        element.select();
      }
    } else {
      element.click();
    }
  }

  function helpDialog() {
    return document.getElementById("shortcut-help");
  }

  function toggleHelp() {
    var dialog = helpDialog();
    if (!dialog) {
      return;
    }
    if (dialog.open) {
      dialog.close();
    } else {
      dialog.showModal();
    }
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("main table.list > tbody > tr"));
  }

  function choose(step) {
    var list = rows();
    if (!list.length) {
      return;
    }
    current = Math.max(0, Math.min(list.length - 1, current + step));
    list.forEach(function (row) {
      row.classList.remove("row-current");
    });
    var row = list[current];
    row.classList.add("row-current");
    var link = row.querySelector("a[href]");
    if (link) {
      link.focus();
    }
    row.scrollIntoView({block: "nearest"});
  }

  function chosenRow() {
    var list = rows();
    return current >= 0 && current < list.length ? list[current] : null;
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var dialog = helpDialog();
    if (dialog && dialog.open) {
      if (event.key === "?") {
        event.preventDefault();
        dialog.close();
      }
      return;
    }
    if (typing(event.target)) {
      return;
    }
    var key = event.key;
    if (pending) {
      var sequence = pending + " " + key;
      pending = "";
      window.clearTimeout(pendingTimer);
      var destination = document.querySelector("[data-shortcut='" + sequence + "']");
      if (destination) {
        event.preventDefault();
        destination.click();
      }
      return;
    }
    if (key === "g") {
      pending = "g";
      pendingTimer = window.setTimeout(function () {
        pending = "";
      }, 1500);
      return;
    }
    if (key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (key === "j" || key === "k") {
      event.preventDefault();
      choose(key === "j" ? 1 : -1);
      return;
    }
    var row = chosenRow();
    if (key === "o" && row) {
      var link = row.querySelector("a[href]");
      if (link) {
        event.preventDefault();
        link.click();
      }
      return;
    }
    if (key === "x" && row) {
      var box = row.querySelector("input[type='checkbox']");
      if (box) {
        event.preventDefault();
        box.click();
      }
      return;
    }
    var target = targetOf(key);
    if (target) {
      event.preventDefault();
      activate(target);
    }
  }

  function setUpSelectAll() {
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      var form = all.closest("form") || document;
      var boxes = function () {
        return form.querySelectorAll("input[type='checkbox'][name='" + all.dataset.selectAll + "']");
      };
      all.hidden = false;
      all.addEventListener("change", function () {
        boxes().forEach(function (box) {
          box.checked = all.checked;
        });
      });
      form.addEventListener("change", function (event) {
        if (event.target !== all && event.target.name === all.dataset.selectAll) {
          var list = Array.prototype.slice.call(boxes());
          all.checked = list.length > 0 && list.every(function (box) {
            return box.checked;
          });
        }
      });
    });
  }

  function setUp() {
    document.addEventListener("keydown", onKey);
    document.querySelectorAll("[data-dialog-close]").forEach(function (button) {
      button.addEventListener("click", function () {
        var dialog = button.closest("dialog");
        if (dialog) {
          dialog.close();
        }
      });
    });
    setUpSelectAll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
