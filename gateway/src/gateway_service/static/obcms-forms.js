/* Form enhancement: window.obcmsForms.enhance(root) sets up what is interactive inside root
 * (and window.obcmsForms.searchLoader is the search of every Tom Select, obcms-tasks.js's too).
 *
 * - people pickers (select[data-people-picker]): Tom Select searching data-people-url?q=
 *   (without Tom Select they stay plain multi-selects);
 * - place pickers (select[data-place-picker], a PPA's coverage): Tom Select searching the
 *   PSGC places at data-places-url?q= (regions first, then provinces, cities and
 *   municipalities, barangays, each with its province); without it, a multi-select of the
 *   regions and provinces;
 * - the event form's recurrence fields (shown only for the chosen "Repeats"), its all-day box
 *   (date inputs instead of date-and-time ones) and its end following a moved start;
 * - portfolio forms (form[data-record-form]): focus on the first input at fault;
 * - comment textareas (textarea[data-mentions]): typing "@" and part of a name offers people
 *   (data-people-url?q=) in a listbox under the textarea (arrows, Enter or Tab to choose,
 *   Escape to close); choosing writes "@Full Name" and adds a hidden mention_ids input (the
 *   server keeps only the people whose "@Full Name" is still in the text);
 * - file inputs with a limit (input[data-max-bytes]): a file past it is refused before it is
 *   sent, beside the input in the server's words (the server refuses it too, but only once
 *   the whole file has travelled);
 * - a resource's week ([data-resource-week]): FullCalendar timeGrid of its bookings in the
 *   viewer's zone.
 *
 * Every page runs it on DOMContentLoaded; the calendar's dialog runs it on a fetched form.
 * The forms work without it: the server renders every input and checks everything. */
(function () {
  "use strict";

  var UNITS = { daily: "day", weekly: "week", monthly: "month", yearly: "year" };

  function each(root, selector, action) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), action);
  }

  /* A Tom Select `load`: the JSON list that url?q=<query> answers, `keep` filtering it (none
   * when the search fails). */
  function searchLoader(url, keep) {
    return function (query, callback) {
      // The search's own parameters kept (people.json?everyone=true).
      var address = new URL(url, window.location.href);
      address.searchParams.set("q", query);
      fetch(address, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(
          function (items) {
            callback(keep ? items.filter(keep) : items);
          },
          function () {
            callback();
          }
        );
    };
  }

  function peoplePicker(select) {
    if (typeof window.TomSelect !== "function" || select.tomselect) return;
    var url = select.getAttribute("data-people-url");
    new window.TomSelect(select, {
      plugins: ["remove_button"],
      valueField: "id",
      labelField: "name",
      searchField: ["name"],
      maxOptions: 50,
      placeholder: "Type a name",
      closeAfterSelect: true,
      onItemAdd: function () {
        this.setTextboxValue("");
      },
      load: searchLoader(url),
    });
  }

  function placePicker(select) {
    if (typeof window.TomSelect !== "function" || select.tomselect) return;
    new window.TomSelect(select, {
      plugins: ["remove_button"],
      valueField: "id",
      labelField: "name",
      searchField: ["name"],
      // The server orders the answers (widest places first): keep its order.
      sortField: [{ field: "$order" }],
      maxOptions: 50,
      placeholder: "Type a region, province, municipality or barangay",
      closeAfterSelect: true,
      onItemAdd: function () {
        this.setTextboxValue("");
      },
      load: searchLoader(select.getAttribute("data-places-url")),
    });
  }

  /* "2026-12-14T09:00" <-> milliseconds, read as UTC: only differences matter here. */
  function toMillis(value) {
    var parsed = Date.parse(value.length === 10 ? value + "T00:00Z" : value + "Z");
    return isNaN(parsed) ? null : parsed;
  }

  function fromMillis(millis, dateOnly) {
    var text = new Date(millis).toISOString();
    return dateOnly ? text.slice(0, 10) : text.slice(0, 16);
  }

  function timing(form) {
    var box = form.querySelector("[data-all-day]");
    var start = form.querySelector("input[name=start][data-time-input]");
    var end = form.querySelector("input[name=end][data-time-input]");
    if (!box || !start || !end) return;
    var previousStart = start.value;

    function switchType(input, fallbackTime) {
      var value = input.value;
      if (box.checked && input.type !== "date") {
        input.setAttribute("data-time", value.slice(11, 16));
        input.type = "date";
        input.value = value.slice(0, 10);
      } else if (!box.checked && input.type !== "datetime-local") {
        input.type = "datetime-local";
        var time = input.getAttribute("data-time") || fallbackTime;
        input.value = value ? value.slice(0, 10) + "T" + time : "";
      }
    }

    function allDayChanged() {
      switchType(start, "09:00");
      switchType(end, "10:00");
      previousStart = start.value;
      each(form, "[data-timed-only]", function (element) {
        element.hidden = box.checked;
      });
    }

    // Moving the start moves the end with it (the same length), as calendars do. A start
    // half typed (a time's leading zero empties the input for a moment) is not a move: the
    // length is kept from the last whole start.
    function startChanged() {
      var before = toMillis(previousStart);
      var after = toMillis(start.value);
      var last = toMillis(end.value);
      if (after === null) return;
      if (before !== null && last !== null) {
        end.value = fromMillis(last + (after - before), box.checked);
      }
      previousStart = start.value;
      monthDay(form, start.value);
      repeatDays(form, start.value);
    }

    box.addEventListener("change", allDayChanged);
    start.addEventListener("change", startChanged);
    allDayChanged();
  }

  function monthDay(form, value) {
    var label = form.querySelector("[data-month-day]");
    var day = parseInt(value.slice(8, 10), 10);
    if (label && !isNaN(day)) label.textContent = "(day " + day + ")";
  }

  // A series' days follow its start until the person chooses them: a Wednesday start
  // repeats on Wednesdays (or on the Nth Wednesday of the month), not on the weekday the
  // form was opened on.
  function repeatDays(form, value) {
    var parts = value.slice(0, 10).split("-").map(Number);
    if (parts.length !== 3 || parts.some(isNaN)) return;
    var day = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    var weekday = String(day.getUTCDay() || 7);
    if (!form.hasAttribute("data-days-chosen")) {
      each(form, "input[name=weekdays]", function (box) {
        box.checked = box.value === weekday;
      });
    }
    if (!form.hasAttribute("data-monthly-chosen")) {
      var position = Math.floor((parts[2] - 1) / 7) + 1;
      var weekLater = new Date(day.getTime() + 7 * 86400000);
      if (position > 4 || weekLater.getUTCMonth() !== day.getUTCMonth()) position = -1;
      var setpos = form.querySelector("select[name=setpos]");
      var setposDay = form.querySelector("select[name=setpos_weekday]");
      if (setpos) setpos.value = String(position);
      if (setposDay) setposDay.value = weekday;
    }
  }

  function recurrence(form) {
    var repeats = form.querySelector("[data-repeats]");
    if (!repeats) return;
    var interval = form.querySelector("[data-interval]");
    var unit = form.querySelector("[data-unit]");

    function update() {
      var freq = repeats.value;
      each(form, "[data-repeat-only]", function (element) {
        element.hidden = !freq;
      });
      each(form, "[data-show-for]", function (element) {
        element.hidden = element.getAttribute("data-show-for") !== freq;
      });
      if (unit && interval) {
        var count = parseInt(interval.value, 10);
        unit.textContent = (UNITS[freq] || "time") + (count === 1 ? "" : "s");
      }
    }

    repeats.addEventListener("change", update);
    if (interval) interval.addEventListener("input", update);
    each(form, "input[name=weekdays]", function (box) {
      box.addEventListener("change", function () {
        form.setAttribute("data-days-chosen", "");
      });
    });
    each(form, "select[name=setpos], select[name=setpos_weekday]", function (select) {
      select.addEventListener("change", function () {
        form.setAttribute("data-monthly-chosen", "");
      });
    });
    update();
  }

  function resourceWeek(element) {
    if (!window.FullCalendar || element.getAttribute("data-ready")) return;
    element.setAttribute("data-ready", "true");
    var narrow = window.matchMedia("(max-width: 40rem)");
    // Dates and times as the rest of the site writes them (Luxon formats, as the calendar's);
    // without the Luxon plugin, the browser's own words for the same fields.
    var luxon = Boolean(window.FullCalendar.Luxon3);
    var clock = luxon ? "HH:mm" : { hour: "2-digit", minute: "2-digit", hour12: false };
    var calendar = new window.FullCalendar.Calendar(element, {
      initialView: narrow.matches ? "timeGridDay" : "timeGridWeek",
      initialDate: element.getAttribute("data-initial-date") || undefined,
      // The luxon plugin (loaded by the page) lets FullCalendar show a named zone.
      timeZone: window.FullCalendar.Luxon3 ? element.getAttribute("data-time-zone") : "local",
      events: element.getAttribute("data-bookings-url"),
      firstDay: 1,
      headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,timeGridDay" },
      buttonIcons: false,
      buttonText: { prev: "‹", next: "›", today: "Today", week: "Week", day: "Day" },
      buttonHints: { prev: "Previous $0", next: "Next $0" },
      titleFormat: luxon ? "d LLL yyyy" : { year: "numeric", month: "short", day: "numeric" },
      defaultRangeSeparator: " – ",
      dayHeaderFormat: luxon ? "ccc d LLL" : { weekday: "short", day: "numeric", month: "short" },
      views: luxon ? { timeGridDay: { titleFormat: "cccc d LLLL yyyy", dayHeaderFormat: "cccc d LLLL" } } : {},
      scrollTime: "08:00:00",
      slotDuration: "00:30:00",
      nowIndicator: true,
      allDaySlot: false,
      contentHeight: 560,
      eventTimeFormat: clock,
      slotLabelFormat: clock,
      // The hours scroll in a box of their own, which a keyboard reaches through a day.
      dayCellDidMount: function (arg) {
        if (arg.el.classList.contains("fc-timegrid-col")) arg.el.tabIndex = 0;
      },
    });
    calendar.render();
    // A phone shows one day, a wider screen the week.
    narrow.addEventListener("change", function () {
      calendar.changeView(narrow.matches ? "timeGridDay" : "timeGridWeek");
    });
  }

  // A refused form: straight to the first input at fault (the first such form of the page).
  function focusFirstError(form) {
    var invalid = form.querySelector("[aria-invalid=true]");
    if (invalid && !invalid.closest("[hidden]") && !document.querySelector(":focus[aria-invalid=true]")) {
      invalid.focus();
    }
  }

  var mentionBoxes = 0;

  /* The "@part of a name" just before the caret (up to two words), or null. */
  function mentionQuery(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|\s)@([^\s@]*(?: [^\s@]*)?)$/.exec(before);
    return match ? { start: before.length - match[2].length - 1, text: match[2] } : null;
  }

  function mentions(textarea) {
    if (textarea.getAttribute("data-mentions-ready")) return;
    textarea.setAttribute("data-mentions-ready", "true");
    var form = textarea.form;
    var holder = form.querySelector("[data-mention-ids]");
    var url = textarea.getAttribute("data-people-url");
    var id = "mention-list-" + ++mentionBoxes;
    var list = document.createElement("ul");
    list.id = id;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    textarea.parentNode.appendChild(list);
    textarea.parentNode.appendChild(status);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", id);
    var people = [];
    var active = -1;
    var query = null;
    var asked = 0;

    // Closed by the person (Escape, leaving the box): answers still on their way are dropped.
    function dismiss() {
      asked++;
      query = null;
      close();
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      people = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, at) {
        option.setAttribute("aria-selected", at === index ? "true" : "false");
      });
      if (index >= 0) textarea.setAttribute("aria-activedescendant", id + "-" + index);
    }

    function show(found) {
      close();
      people = found;
      if (!found.length) {
        status.textContent = "Nobody matches “" + query.text + "”";
        return;
      }
      found.forEach(function (person, at) {
        var option = document.createElement("li");
        option.id = id + "-" + at;
        option.setAttribute("role", "option");
        option.textContent = person.name;
        // mousedown: chosen before the textarea loses its focus.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(at);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      // Below a comment box at the window's edge the list would open out of sight.
      list.scrollIntoView({ block: "nearest" });
      highlight(0);
      status.textContent =
        found.length + (found.length === 1 ? " person" : " people") + " found: up and down arrows to move, Enter to choose";
    }

    function choose(index) {
      var person = people[index];
      if (!person || !query) return;
      var text = textarea.value;
      var inserted = "@" + person.name + " ";
      var end = query.start + 1 + query.text.length;
      textarea.value = text.slice(0, query.start) + inserted + text.slice(end);
      var caret = query.start + inserted.length;
      textarea.setSelectionRange(caret, caret);
      if (!holder.querySelector('input[value="' + person.id + '"]')) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = "mention_ids";
        hidden.value = person.id;
        hidden.setAttribute("data-name", person.name);
        holder.appendChild(hidden);
      }
      status.textContent = person.name + " will be mentioned";
      query = null;
      close();
      textarea.focus();
    }

    // While the answer for the longer text is on its way, the list shown keeps only the
    // people whose name still contains it, so Enter never chooses from an older answer.
    function narrow() {
      if (list.hidden) return;
      var text = query.text.toLowerCase();
      var still = people.filter(function (person) {
        return person.name.toLowerCase().indexOf(text) >= 0;
      });
      if (still.length) show(still);
      else close();
    }

    function lookUp() {
      query = mentionQuery(textarea);
      if (!query) {
        close();
        return;
      }
      narrow();
      var ask = ++asked;
      fetch(url + "?q=" + encodeURIComponent(query.text), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : [];
        })
        .then(
          function (found) {
            if (ask === asked && query) show(found.slice(0, 8));
          },
          function () {
            close();
          }
        );
    }

    textarea.addEventListener("input", lookUp);
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && query) {
        event.preventDefault();
        dismiss();
        return;
      }
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : people.length - 1;
        highlight((active + step) % people.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      }
    });
    textarea.addEventListener("blur", dismiss);
  }

  function fileLimit(input) {
    var form = input.form;
    var max = Number(input.getAttribute("data-max-bytes"));
    if (!form || !max) return;
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file || file.size <= max) return;
      event.preventDefault();
      var id = input.getAttribute("data-error-id") || input.id + "-error";
      var error = document.getElementById(id);
      if (!error) {
        error = document.createElement("p");
        error.className = "field-error";
        error.id = id;
        error.setAttribute("role", "alert");
        input.insertAdjacentElement("afterend", error);
        input.setAttribute(
          "aria-describedby",
          ((input.getAttribute("aria-describedby") || "") + " " + id).trim()
        );
      }
      error.textContent =
        "\u201c" + file.name + "\u201d is larger than the limit of " +
        input.getAttribute("data-max-size");
      input.setAttribute("aria-invalid", "true");
      input.focus();
    });
  }

  // A choice that changes what the form's button does renames it (data-button-says):
  // "Cancel this occurrence", not "Cancel the event", once "This occurrence" is chosen.
  function buttonSays(input) {
    var button = input.form && input.form.querySelector("button[type=submit]");
    if (!button) return;
    function rename() {
      if (input.checked) button.textContent = input.getAttribute("data-button-says");
    }
    input.addEventListener("change", rename);
    rename();
  }

  function enhance(root) {
    root = root || document;
    each(root, "select[data-people-picker]", peoplePicker);
    each(root, "select[data-place-picker]", placePicker);
    each(root, "form[data-event-form]", function (form) {
      timing(form);
      recurrence(form);
      focusFirstError(form);
    });
    each(root, "form", focusFirstError);
    each(root, "textarea[data-mentions]", mentions);
    each(root, "[data-resource-week]", resourceWeek);
    each(root, "input[data-max-bytes]", fileLimit);
    each(root, "input[data-button-says]", buttonSays);
  }

  window.obcmsForms = { enhance: enhance, searchLoader: searchLoader };
  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
})();
