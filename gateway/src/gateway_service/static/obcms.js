// The layout's behaviour on every page (base.html): the collapsible menu on narrow screens
// and the status area ("toast") that says an action worked. A file, not inline script: the
// Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";

  var TOAST_SECONDS = 6;
  var hideTimer = null;

  // Show `message` in the layout's status area (role=status: screen readers announce it) for
  // a few seconds. A page's own message (`?saved=`, rendered by the server) stays.
  function toast(message) {
    var area = document.getElementById("toast");
    if (!area) {
      return;
    }
    area.textContent = message;
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(function () {
      area.textContent = "";
    }, TOAST_SECONDS * 1000);
  }

  // Below 700 px the menu folds behind its button; without this script it stays open.
  function setUpMenu() {
    var header = document.querySelector(".top");
    var button = header && header.querySelector(".menu-toggle");
    if (!button) {
      return;
    }
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }
    button.hidden = false;
    header.classList.add("menu-ready");
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    header.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        button.focus();
      }
    });
  }

  window.obcmsToast = toast;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpMenu);
  } else {
    setUpMenu();
  }
})();
