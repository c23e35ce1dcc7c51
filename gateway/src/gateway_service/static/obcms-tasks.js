/* The task list and board (templates/tasks.html) and a task's "Waits for" section
 * (task_detail.html). Everything works without it: the forms post and the server redirects
 * back. With it:
 * - "select all" ticks every task's box for the bulk change, which shows once a box is
 *   ticked, counting them;
 * - on a phone the filters fold behind their summary;
 * - the due filter's dates show only for "Between…";
 * - the board's cards drag between columns (SortableJS); a drop PATCHes the task's status or
 *   priority with the version the card was drawn at; a refusal puts the card back and says why.
 *   A colleague's card dropped on Completed is answered with a question (409 `confirm`),
 *   asked in the board's dialog: yes posts it again confirmed, no puts the card back.
 *   A move's message offers Undo (the answer's `undo`): the card goes back where it was.
 *   Each card's "Move to" menu is the keyboard's way to do the same;
 * - the "Add a task it waits for" select (select[data-task-picker]) is a Tom Select searching
 *   tasks by title (data-search-url?q=), leaving out the ids of data-exclude (the task itself
 *   and those it already waits for), through obcms-forms.js (loaded before it). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // `action` ({label, run}): a button beside the message (a move's Undo).
  function say(message, action) {
    var status = document.querySelector("[data-task-status]");
    if (status) status.textContent = message;
    if (window.obcmsToast) window.obcmsToast(message, action);
  }

  // The bulk change shows once a box is ticked, saying how many (without script it is always
  // there, and the list says after the click that none was ticked); it then stays in view at
  // the bottom of the screen while more are ticked (obcms-tasks.css).
  function bulkForm(root) {
    var form = root.querySelector("form.bulk");
    var count = form && form.querySelector("[data-bulk-count]");
    if (!count) return;
    // The list's own message after an empty submission (no script then) keeps it shown.
    var said = form.querySelector(".bulk-problem");
    function update() {
      var ticked = root.querySelectorAll('input[name="item"]:checked').length;
      form.hidden = !ticked && !said;
      count.textContent =
        ticked === 1 ? "Change the selected task:" : "Change the " + ticked + " selected tasks:";
    }
    root.addEventListener("change", function (event) {
      if (event.target.matches('input[name="item"], [data-select-all]')) update();
    });
    update();
  }

  function selectAll(root) {
    var box = root.querySelector("[data-select-all]");
    if (!box) return;
    box.addEventListener("change", function () {
      root.querySelectorAll('input[name="item"]').forEach(function (item) {
        item.checked = box.checked;
      });
    });
  }

  // On a phone the filters fold behind their summary ("Filters (2 active)"): the tasks come
  // first. One at fault (a range ending before it starts) keeps them open.
  var PHONE = "(max-width: 600px)";
  function foldFilters(root) {
    var filters = root.querySelector("details[data-filters]");
    if (!filters || !window.matchMedia(PHONE).matches) return;
    if (!filters.querySelector('[aria-invalid="true"]')) filters.open = false;
  }

  function dueRange(root) {
    var due = root.querySelector("[data-due]");
    if (!due) return;
    function update() {
      root.querySelectorAll("[data-due-range]").forEach(function (label) {
        label.hidden = due.value !== "range";
      });
    }
    due.addEventListener("change", update);
    update();
  }

  // POST `body` to the task's `action` route as the board's script does (JSON answers).
  function post(card, action, body) {
    return fetch("/oobc-management/staff/tasks/" + card.dataset.task + "/" + action + "/", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: body,
    }).then(function (response) {
      return response.json().then(
        function (reply) {
          return { ok: response.ok, reply: reply };
        },
        function () {
          return { ok: false, reply: { message: "it failed (" + response.status + ")" } };
        }
      );
    });
  }

  function move(card, field, value, confirmed) {
    var body = new URLSearchParams();
    body.set("field", field);
    body.set("value", value);
    body.set("version", card.dataset.version);
    if (confirmed) body.set("confirmed", "yes");
    return post(card, "move", body);
  }

  // The card at the task's new version, its "Move to" menu on its column's value.
  function drawn(card, version, value) {
    card.dataset.version = version;
    var input = card.querySelector('input[name="version"]');
    if (input) input.value = version;
    var menu = card.querySelector("[data-move]");
    if (menu) menu.value = value;
  }

  // The server's question (`confirm`: question, detail, yes) in the board's dialog: resolves
  // true for yes, false for no (or Escape).
  function ask(dialog, confirm) {
    return new Promise(function (resolve) {
      var yes = dialog.querySelector("[data-yes]");
      var no = dialog.querySelector("[data-no]");
      dialog.querySelector("h2").textContent = confirm.question;
      dialog.querySelector("p").textContent = confirm.detail;
      yes.textContent = confirm.yes;
      function answer(value) {
        yes.removeEventListener("click", onYes);
        no.removeEventListener("click", onNo);
        dialog.removeEventListener("close", onNo);
        if (dialog.open) dialog.close();
        resolve(value);
      }
      function onYes() { answer(true); }
      function onNo() { answer(false); }
      yes.addEventListener("click", onYes);
      no.addEventListener("click", onNo);
      dialog.addEventListener("close", onNo); // Escape
      dialog.showModal();
      no.focus(); // the safe answer first
    });
  }

  function columnTitle(list) {
    return list.closest("section").querySelector("h2").firstChild.textContent.trim();
  }

  // Each column's heading counts the cards it holds now (after a drag, not at page load):
  // those shown and those only in the list (data-hidden).
  function recount(element) {
    element.querySelectorAll("[data-column]").forEach(function (list) {
      var count = list.closest("section").querySelector("h2 .count");
      var held = list.querySelectorAll(".task-card").length + Number(list.dataset.hidden || 0);
      if (count) count.textContent = "(" + held + ")";
    });
  }

  function board(root) {
    var element = root.querySelector("[data-board]");
    var field = element && element.dataset.field;
    if (!field || typeof window.Sortable !== "function") return;
    element.querySelectorAll("[data-column]").forEach(function (list) {
      new window.Sortable(list, {
        group: "tasks",
        animation: 150,
        // Cards the person may not change stay where they are (the server would refuse).
        draggable: ".task-card:not([data-fixed])",
        filter: "select, button, input",
        preventOnFilter: false,
        onEnd: function (event) {
          if (event.from === event.to) return;
          recount(element);
          var card = event.item;
          var value = event.to.dataset.column;
          var title = card.dataset.title;
          var dialog = root.querySelector("[data-move-confirm]");
          function unreachable() {
            return { ok: false, reply: { message: "The server could not be reached" } };
          }
          move(card, field, value)
            .catch(unreachable)
            .then(function (result) {
              if (result.ok || !result.reply.confirm || !dialog) return result;
              return ask(dialog, result.reply.confirm).then(function (yes) {
                if (!yes) return { ok: false, declined: true, reply: {} };
                return move(card, field, value, true).catch(unreachable);
              });
            })
            .then(function (result) {
              function putBack() {
                event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
                recount(element);
              }
              // The message's Undo: the column it came from, at the version the move left.
              function undo() {
                var body = new URLSearchParams();
                body.set("undo", result.reply.undo.undo);
                body.set("version", result.reply.undo.version);
                post(card, "undo", body)
                  .catch(unreachable)
                  .then(function (undone) {
                    if (!undone.ok) {
                      var why = undone.reply.message;
                      say(why.indexOf("Not undone") === 0 ? why : "Not undone: " + why);
                      return;
                    }
                    putBack();
                    drawn(card, undone.reply.version, event.from.dataset.column);
                    say(undone.reply.message);
                  });
              }
              if (result.ok) {
                drawn(card, result.reply.version, value);
                var moved = "“" + title + "” moved to " + columnTitle(event.to);
                say(moved, result.reply.undo ? { label: "Undo", run: undo } : null);
              } else {
                putBack();
                say(
                  result.declined
                    ? "“" + title + "” stays in " + columnTitle(event.from)
                    : "“" + title + "” was not moved: " + result.reply.message
                );
              }
            });
        },
      });
    });
  }

  function taskPicker(select) {
    if (typeof window.TomSelect !== "function" || select.tomselect) return;
    var url = select.getAttribute("data-search-url");
    var excluded = (select.getAttribute("data-exclude") || "").split(" ");
    new window.TomSelect(select, {
      valueField: "id",
      labelField: "title",
      searchField: ["title"],
      maxOptions: 20,
      placeholder: "Type part of its title",
      load: window.obcmsForms.searchLoader(url, function (task) {
        return excluded.indexOf(task.id) < 0;
      }),
      render: {
        option: function (task, escape) {
          var status = task.status_label ? ' <span class="muted">' + escape(task.status_label) + "</span>" : "";
          return "<div>" + escape(task.title) + status + "</div>";
        },
        no_results: function () {
          return '<div class="no-results">No task with that in its title</div>';
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    selectAll(document);
    bulkForm(document);
    foldFilters(document);
    dueRange(document);
    board(document);
    document.querySelectorAll("select[data-task-picker]").forEach(taskPicker);
  });
})();
