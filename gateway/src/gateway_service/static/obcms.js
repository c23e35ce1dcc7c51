// The layout's behaviour on every page (base.html): the collapsible menu on narrow screens,
// tables that become cards on phones, and the status area ("toast") that says an action
// worked. A file, not inline script: the Content-Security-Policy allows scripts from 'self'
// only.
(function () {
  "use strict";

  var TOAST_SECONDS = 6;
  var hideTimer = null;

  // Show `message` in the layout's status area (role=status: screen readers announce it) for
  // a few seconds. A page's own message (`?saved=`, rendered by the server) stays. `action`
  // ({label, run}) adds a button (a move's Undo); then the message stays until the next one,
  // so that no one has to beat a clock to use it.
  function toast(message, action) {
    var area = document.getElementById("toast");
    if (!area) {
      return;
    }
    area.textContent = message;
    area.classList.remove("said"); // now the page's answer to what was just done: in view
    window.clearTimeout(hideTimer);
    if (action) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "small secondary toast-action";
      button.textContent = action.label;
      button.addEventListener("click", function () {
        button.disabled = true;
        action.run();
      });
      area.appendChild(document.createTextNode(" "));
      area.appendChild(button);
      return;
    }
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
    // A tap beside the open menu closes it, as menus do.
    document.addEventListener("click", function (event) {
      if (button.getAttribute("aria-expanded") === "true" && !header.contains(event.target)) {
        setOpen(false);
      }
    });
  }

  // A menu that opens in place (the Export menu's <details>): Escape closes it, back on its
  // summary; so does a click elsewhere.
  function setUpDropdowns() {
    Array.prototype.forEach.call(document.querySelectorAll("details.export-menu"), function (menu) {
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
      document.addEventListener("click", function (event) {
        if (menu.open && !menu.contains(event.target)) menu.open = false;
      });
    });
  }

  // Below 600 px a table's rows become cards (obcms.css, `table.stacks`): each cell is named
  // by its column's heading, copied into its data-label (a label the server wrote stays).
  // A table of label and value pairs (rows of th, td, th, td) keeps its pairs side by side
  // (`table.pairs`). Without this script a table scrolls inside its card.
  function setUpTables() {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), function (table) {
      if (table.closest(".fc")) return; // FullCalendar's grids are its own
      var heads = table.tHead && table.tHead.rows.length ? table.tHead.rows[0].cells : null;
      var rows = Array.prototype.slice.call(table.tBodies).reduce(function (all, body) {
        return all.concat(Array.prototype.slice.call(body.rows));
      }, []);
      if (heads) {
        rows.forEach(function (row) {
          if (row.cells.length !== heads.length) return; // a row that spans: a message
          Array.prototype.forEach.call(row.cells, function (cell, column) {
            var name = heads[column].textContent.trim();
            if (name && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", name);
          });
        });
        table.classList.add("stacks");
      } else if (rows.length && rows.every(function (row) {
        return Array.prototype.every.call(row.cells, function (cell, column) {
          return cell.tagName === (column % 2 ? "TD" : "TH");
        }) && row.cells.length % 2 === 0;
      })) {
        table.classList.add("pairs");
      }
    });
  }

  // The bell: the number of unread notifications, read when the page opens, every minute
  // and when the tab comes back into view. Without this script it is a link to the inbox.
  var BELL_SECONDS = 60;
  function setUpBell() {
    var bell = document.querySelector(".bell[data-count-url]");
    if (!bell) {
      return;
    }
    var badge = bell.querySelector(".bell-count");
    function show(unread) {
      var known = typeof unread === "number";
      badge.hidden = !known || unread === 0;
      badge.textContent = known ? (unread > 99 ? "99+" : String(unread)) : "";
      bell.setAttribute(
        "aria-label",
        known && unread ? "Notifications, " + unread + " unread" : "Notifications"
      );
      bell.dataset.unread = known ? String(unread) : "";
    }
    function refresh() {
      fetch(bell.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { unread: null }; })
        .then(function (body) { show(body.unread); })
        .catch(function () { show(null); });
    }
    refresh();
    window.setInterval(refresh, BELL_SECONDS * 1000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") refresh();
    });
  }

  // A link to a place on a page (a comment: "#comment-…") opened signed out keeps its place
  // through the login form: the form's address carries it, and a redirect keeps it.
  function keepPlaceThroughLogin() {
    var login = document.querySelector("form[data-login]");
    if (login && window.location.hash) login.action = login.getAttribute("action") + window.location.hash;
  }

  // "/" anywhere but in a field searches, as on many sites: the search page's box, else the
  // search page.
  function setUpSearchKey() {
    var link = document.querySelector("a[data-search-link]");
    if (!link) return;
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing) return;
      event.preventDefault();
      var box = document.getElementById("search-words");
      if (box) {
        box.focus();
        box.select();
      } else {
        window.location.assign(link.href);
      }
    });
  }

  // A PDF is made when asked for, which takes a second or two: its link (a[data-pdf]) says
  // "Preparing the PDF…" (and the status area too) until the file has come, which the
  // browser then saves as the link would have. An answer that is no PDF (an error, the
  // login) is opened as the link would open it. Without this script the link downloads it.
  var PREPARING = "Preparing the PDF…";
  function savedName(response, link) {
    var given = response.headers.get("Content-Disposition") || "";
    var encoded = /filename\*=UTF-8''([^;]+)/i.exec(given);
    if (encoded) return decodeURIComponent(encoded[1]);
    var plain = /filename="([^"]+)"/i.exec(given);
    return plain ? plain[1] : new URL(link.href).pathname.split("/").pop();
  }
  function save(blob, name) {
    var address = URL.createObjectURL(blob);
    var saving = document.createElement("a");
    saving.href = address;
    saving.download = name;
    saving.hidden = true;
    document.body.appendChild(saving);
    saving.click();
    saving.remove();
    window.setTimeout(function () { URL.revokeObjectURL(address); }, 60000);
  }
  function setUpPdfLinks() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[data-pdf]");
      var plainClick = event.button === 0 && !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey);
      if (!link || !plainClick || event.defaultPrevented) return;
      event.preventDefault();
      if (link.getAttribute("aria-busy") === "true") return; // already on its way
      var said = link.textContent;
      function ready() {
        link.textContent = said;
        link.removeAttribute("aria-busy");
      }
      link.setAttribute("aria-busy", "true");
      link.textContent = PREPARING;
      toast(PREPARING);
      fetch(link.href, { credentials: "same-origin" })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("application/pdf") !== 0) throw new Error("no PDF");
          return response.blob().then(function (blob) {
            var name = savedName(response, link);
            save(blob, name);
            ready();
            toast("The PDF is ready: " + name);
          });
        })
        .catch(function () {
          ready();
          window.location.assign(link.href);
        });
    });
  }

  // Back from an action (the page saying what was just done, `?saved=`): the keyboard starts
  // at the message, not at the top of the page. It is read out; its Undo is the next Tab,
  // then the page's own links to its lists ("Skip to the tasks"). A page that puts focus
  // somewhere itself (autofocus, a form's fault) or an address to a place on it (#…) keeps
  // its say.
  function focusTheMessage() {
    var area = document.getElementById("toast");
    if (!area || !area.classList.contains("said") || !area.textContent.trim()) return;
    if (window.location.hash || document.querySelector("[autofocus]")) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    area.setAttribute("tabindex", "-1");
    area.focus();
  }

  function setUp() {
    keepPlaceThroughLogin();
    setUpPdfLinks();
    setUpSearchKey();
    setUpMenu();
    setUpDropdowns();
    setUpTables();
    setUpBell();
    focusTheMessage();
  }

  window.obcmsToast = toast;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
