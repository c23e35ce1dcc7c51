/* The calendar page: FullCalendar 6 fed by the gateway's aggregated feed, shown in the
 * viewer's time zone (<html data-time-zone>, through the Luxon connector).
 *
 * - Module checkboxes refetch with ?modules=; a loading line shows while the feed loads.
 * - "New event", or selecting a day or a time range, opens the new-event form (C2's page,
 *   fetched with X-Fragment: form) in a dialog; on a phone it opens the form's page.
 * - Entries the viewer may change (feed `ownerIds`, or a manager) and that have an `apiUrl`
 *   can be dragged, events also resized; the change is sent with If-Match of the entry's
 *   `version`, and a refusal puts the entry back and says why. An occurrence of a series,
 *   dropped, asks in a small question which occurrences move (this one, this and following,
 *   all; Cancel puts it back) and saves through the edit form's POST; a refusal that needs
 *   more (a monthly series' days) opens the edit form at the new times, saying what to
 *   change; closing it unsaved puts the entry back.
 * - Closing the form (Escape, ×, Cancel, a click beside it) with something typed in it asks
 *   first ("Discard this event?"); "Keep editing" goes back to it as it was.
 * - A click on an entry opens its details in a dialog over the grid: when, module, status,
 *   and links to its page (and, for an event the viewer may change, edit / cancel / delete). */
(function () {
  "use strict";

  var PHONE = window.matchMedia("(max-width: 700px)");
  var TOUCH = window.matchMedia("(pointer: coarse)");
  var HOUR = 3600000;
  var WORKING_DAY = "08:00:00"; // where the day and week views open
  var WORKING_DAY_HOUR = "09:00:00"; // the end of a new event on a day's first working hour
  // A second cue for status (colour means module): see the legend and calendar.css.
  var STATUS_CUES = {
    cancelled: "cancelled",
    pending: "pending",
    draft: "pending",
    completed: "completed",
    delayed: "attention",
    at_risk: "attention",
    blocked: "attention",
  };

  var format = window.obcmsFormat;
  var page = document.documentElement.dataset;
  var userId = page.userId || "";
  var mayEditAny = page.mayEditAny === "true";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function toast(message) {
    if (window.obcmsToast) window.obcmsToast(message);
  }

  function quoted(title) {
    return "“" + title + "”";
  }

  function signIn() {
    window.location.href = "/accounts/login/?next=" + encodeURIComponent(window.location.pathname);
  }

  /* GET `url` as the signed-in user: the response when it is ok; signed out, to the sign-in
   * page; else an error naming `what` answered. */
  function read(url, headers, what) {
    return fetch(url, { credentials: "same-origin", headers: headers }).then(function (response) {
      if (response.status === 401) {
        signIn();
        throw new Error("signed out");
      }
      if (!response.ok) throw new Error(what + " answered " + response.status);
      return response;
    });
  }

  function mayChange(props) {
    return Boolean(props.apiUrl) && (mayEditAny || (props.ownerIds || []).indexOf(userId) !== -1);
  }

  // Tasks and milestones have a date, no time: they move from day to day only.
  function datedOnly(props) {
    return props.category === "task" || props.category === "milestone";
  }

  // The occurrence of a series as YYYY-MM-DD (the feed may give YYYYMMDD).
  function occurrenceDay(props) {
    var digits = String(props.occurrenceDate || "").replace(/-/g, "");
    if (digits.length !== 8) return "";
    return digits.slice(0, 4) + "-" + digits.slice(4, 6) + "-" + digits.slice(6);
  }

  function addDays(day, count) {
    var moved = new Date(Date.parse(day + "T00:00:00Z") + count * 86400000);
    return moved.toISOString().slice(0, 10);
  }

  function selectedModules(form) {
    return Array.from(form.querySelectorAll("input[name=modules]:checked")).map(function (box) {
      return box.value;
    });
  }

  function start() {
    var element = document.getElementById("calendar");
    var filters = document.getElementById("calendar-filters");
    var status = document.getElementById("calendar-status");
    var loading = document.getElementById("calendar-loading");
    var details = document.getElementById("calendar-details");
    var formDialog = document.getElementById("event-dialog");
    var formBody = document.getElementById("event-dialog-body");
    var formError = document.getElementById("event-dialog-error");
    var formHeading = document.getElementById("event-dialog-title");
    var discardDialog = document.getElementById("discard-dialog");
    var scopeDialog = document.getElementById("scope-dialog");
    var feedUrl = element.dataset.feedUrl;
    var newEventUrl = element.dataset.newEventUrl;
    var eventsUrl = element.dataset.eventsUrl;
    var calendar;

    function anchor(link) {
      var element = document.createElement("a");
      element.href = link.href;
      element.textContent = link.text;
      return element;
    }

    // A message that stays until the next action (refusals, missing sources, warnings);
    // `link` adds a link after it.
    // `items`: lines said one under another (an event's conflicts, what a move did to its
    // bookings), before the link; a line is words, or `{text, links}` (its actions after it).
    function showStatus(text, link, items) {
      status.textContent = text;
      if (items && items.length) {
        var list = document.createElement("ul");
        items.forEach(function (item) {
          var line = document.createElement("li");
          line.textContent = typeof item === "string" ? item : item.text;
          (item.links || []).forEach(function (each, at) {
            line.append(at ? " · " : " ", anchor(each));
          });
          list.append(line);
        });
        status.append(list);
      }
      if (link) status.append(" ", anchor(link));
      status.hidden = !text;
    }

    // What the last feed load said; a later load clears only that, never what a move said
    // (a refused drag refetches, and its reason must stay until the next move).
    var feedWarning = "";
    function showFeedWarning(text) {
      if (text) showStatus(text);
      else if (feedWarning && status.textContent === feedWarning) showStatus("");
      feedWarning = text;
    }

    // --- reading the feed ---------------------------------------------------------------

    function loadFeed(info, success, failure) {
      var modules = selectedModules(filters);
      if (modules.length === 0) {
        showStatus("Choose at least one module.");
        success([]);
        return;
      }
      var params = new URLSearchParams({
        start: info.startStr,
        end: info.endStr,
        modules: modules.join(","),
      });
      read(feedUrl + "?" + params.toString(), { Accept: "application/json" }, "the calendar feed")
        .then(function (response) {
          return response.json();
        })
        .then(function (feed) {
          var missing = Object.keys(feed.sources).filter(function (name) {
            return feed.sources[name] === "error" || feed.sources[name] === "timeout";
          });
          showFeedWarning(
            missing.length
              ? "Some entries are missing: the " + missing.join(", ") +
                  " service did not answer in time. Try again shortly."
              : ""
          );
          success(feed.events);
        })
        .catch(function (error) {
          showFeedWarning("The calendar could not be loaded: " + error.message);
          failure(error);
        });
    }

    // Whether and how an entry may be dragged: decided per entry from the feed's facts.
    function prepareEntry(entry) {
      var props = entry.extendedProps || {};
      var movable = mayChange(props);
      entry.editable = movable;
      if (movable && datedOnly(props)) entry.durationEditable = false;
      return entry;
    }

    function classNames(arg) {
      var props = arg.event.extendedProps;
      var names = ["module-" + props.module];
      if (STATUS_CUES[props.status]) names.push("status-" + STATUS_CUES[props.status]);
      return names;
    }

    // A tooltip with the times in words; an entry of the grids is a button (it opens the
    // details; in the list view the row's link is).
    function describe(arg) {
      var event = arg.event;
      arg.el.title = event.title + ", " + when(event);
      if (arg.el.tagName === "A" && !arg.el.hasAttribute("href")) {
        arg.el.setAttribute("role", "button");
      }
    }

    // A timed entry over several days is cut into pieces at midnight, and FullCalendar writes
    // each piece's own times, as if the entry began or ended at 00:00 ("15:00 – 00:00"). On
    // the month grid a piece continued on the next row shows the title alone; in the week and
    // day views, the times it really has ("15:00 →", "→ 11:00"). Elsewhere the default content
    // (its details and the hover text say when in full).
    function continuedTitle(arg) {
      var event = arg.event;
      if (event.allDay || (arg.isStart && arg.isEnd)) return true;
      var grid = arg.view.type.indexOf("dayGrid") === 0;
      if (grid && arg.isStart) return true;
      var title = document.createElement("div");
      title.className = "fc-event-title";
      title.textContent = event.title;
      if (grid || arg.view.type.indexOf("timeGrid") !== 0) return { domNodes: [title] };
      var time = document.createElement("div");
      time.className = "fc-event-time";
      time.textContent = arg.isStart
        ? calendar.formatDate(event.start, "HH:mm") + " \u2192"
        : arg.isEnd && event.end
          ? "\u2192 " + calendar.formatDate(event.end, "HH:mm")
          : "\u2192";
      return { domNodes: [time, title] };
    }

    function when(event) {
      return format.span(event.startStr, event.endStr || null, event.allDay);
    }

    // --- moving by drag -----------------------------------------------------------------

    function newTimes(event) {
      if (event.allDay) {
        var first = event.startStr.slice(0, 10);
        return { start: first, end: event.end ? event.endStr.slice(0, 10) : addDays(first, 1) };
      }
      var end = event.end || new Date(event.start.getTime() + HOUR);
      return { start: calendar.formatIso(event.start), end: calendar.formatIso(end) };
    }

    // The API call that moves `event` where it was dropped (§3 of the contract).
    function moveRequest(event) {
      var props = event.extendedProps;
      var day = event.startStr.slice(0, 10);
      if (props.category === "task") {
        return { method: "PATCH", url: props.apiUrl, body: { due_date: day } };
      }
      if (props.category === "milestone") {
        return { method: "PATCH", url: props.apiUrl, body: { date: day } };
      }
      var times = newTimes(event);
      return {
        method: "PATCH",
        url: props.apiUrl,
        body: { start: times.start, end: times.end, all_day: event.allDay },
      };
    }

    function allowDrop(drop, event) {
      var props = event.extendedProps;
      if (datedOnly(props)) return drop.allDay;
      // An occurrence keeps its series' all-day or timed nature.
      if (occurrenceDay(props)) return drop.allDay === event.allDay;
      return true;
    }

    function errorMessage(response) {
      return response
        .json()
        .then(function (body) {
          return window.obcmsFormat.refusal(body && body.error && body.error.message);
        })
        .catch(function () {
          return "";
        });
    }

    function refusal(statusCode, title, message) {
      var what = quoted(title) + " was not moved: ";
      if (statusCode === 412) {
        return what + "it was changed by someone else meanwhile. The calendar now shows " +
          "its latest version; move it again if you still want to.";
      }
      if (statusCode === 403) return what + "you may not change it.";
      if (statusCode === 404) return what + "it no longer exists.";
      if (statusCode === 409) return what + (message || "it clashes with another change.");
      if (statusCode === 400 || statusCode === 422) {
        return what + (message || "the new time was refused.");
      }
      return what + "the server answered " + statusCode + ". Try again shortly.";
    }

    // Put back on close unless the form saved: a dropped occurrence the form is to save.
    var unsavedDrop = null;
    // The drop of an occurrence while its question is open.
    var dropAsking = null;

    // A dropped occurrence: which occurrences move?
    function askScope(info) {
      dropAsking = info;
      document.getElementById("scope-title").textContent = "Move " + quoted(info.event.title);
      document.getElementById("scope-text").textContent =
        "From " + when(info.oldEvent) + " to " + when(info.event) + ". Move which occurrences?";
      scopeDialog.returnValue = "";
      scopeDialog.showModal();
    }

    // Cancel, Escape or a click beside it: put back.
    scopeDialog.addEventListener("close", function () {
      var info = dropAsking;
      dropAsking = null;
      if (!info) return;
      if (scopeDialog.returnValue) moveOccurrences(info, scopeDialog.returnValue);
      else info.revert();
    });
    scopeDialog.addEventListener("click", function (clicked) {
      if (clicked.target === scopeDialog) scopeDialog.close();
    });

    // Save the drop at `scope` (this, following, all) through the edit form's POST.
    function moveOccurrences(info, scope) {
      var event = info.event;
      var props = event.extendedProps;
      var times = newTimes(event);
      var params = new URLSearchParams({
        occurrence: occurrenceDay(props),
        start: times.start,
        end: times.end,
      });
      var url = eventsUrl + props.objectId + "/edit/?" + params.toString();
      showStatus("");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-Fragment": "form",
          "X-CSRFToken": csrfToken(),
          Accept: "application/json, text/html",
        },
        body: new URLSearchParams({ dropped: "1", scope: scope, version: String(props.version) }),
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (response.ok && type.indexOf("application/json") !== -1) {
            return response.json().then(created);
          }
          if (response.status === 401) {
            info.revert();
            signIn();
            return;
          }
          if (response.status === 412) {
            info.revert();
            showStatus(refusal(412, event.title));
            calendar.refetchEvents();
            return;
          }
          if (response.status < 500 && type.indexOf("text/html") !== -1) {
            // The form at the new times says what else to change (a phone: its page, which
            // asks again); closed unsaved, put back.
            if (PHONE.matches) {
              window.location.href = url;
              return;
            }
            return response.text().then(function (html) {
              unsavedDrop = info.revert;
              openDialog("Move " + quoted(event.title));
              showForm(html);
            });
          }
          throw new Error("the server answered " + response.status);
        })
        .catch(function () {
          info.revert();
          showStatus(quoted(event.title) + " was not moved: the server did not answer.");
        });
    }

    function move(info) {
      var event = info.event;
      var props = event.extendedProps;
      if (occurrenceDay(props)) {
        askScope(info);
        return;
      }
      var day = event.startStr.slice(0, 10);
      var request = moveRequest(event);
      var headers = {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      };
      if (props.version !== undefined) headers["If-Match"] = '"' + props.version + '"';
      showStatus("");
      fetch(request.url, {
        method: request.method,
        credentials: "same-origin",
        headers: headers,
        body: JSON.stringify(request.body),
      })
        .then(function (response) {
          if (response.ok) {
            var moved = datedOnly(props) ? format.day(day) : when(event);
            // A drag moves it; a resize keeps its start and changes how long it is.
            var resized = info.oldEvent && info.oldEvent.start &&
              info.oldEvent.start.getTime() === event.start.getTime();
            toast(quoted(event.title) + (resized ? " now " : " moved to ") + moved);
            calendar.refetchEvents(); // the new version, and the series' other occurrences
            return;
          }
          info.revert();
          if (response.status === 401) {
            signIn();
            return;
          }
          return errorMessage(response).then(function (message) {
            showStatus(refusal(response.status, event.title, message));
            if (response.status === 412 || response.status === 409) calendar.refetchEvents();
          });
        })
        .catch(function () {
          info.revert();
          showStatus(quoted(event.title) + " was not moved: the server did not answer.");
        });
    }

    // --- details ------------------------------------------------------------------------

    function setLink(id, href) {
      var link = document.getElementById(id);
      link.hidden = !href;
      link.href = href || "#";
    }

    function openDetails(event) {
      var props = event.extendedProps;
      var occurrence = occurrenceDay(props);
      var query = occurrence ? "?occurrence=" + occurrence : "";
      document.getElementById("details-title").textContent = event.title;
      document.getElementById("details-when").textContent = when(event);
      document.getElementById("details-module").textContent = format.label(props.module);
      document.getElementById("details-category").textContent = format.label(props.category);
      document.getElementById("details-status").textContent = format.label(props.status);
      document.getElementById("details-venue").textContent = props.venue || "";
      details.querySelectorAll("[data-venue]").forEach(function (node) {
        node.hidden = !props.venue;
      });
      setLink("details-link", props.url ? props.url + query : "");
      var changeable = props.category === "event" && mayChange(props);
      var eventPath = eventsUrl + props.objectId + "/";
      setLink("details-edit", changeable ? eventPath + "edit/" + query : "");
      var cancellable = changeable && props.status !== "cancelled";
      setLink("details-cancel", cancellable ? eventPath + "cancel/" + query : "");
      setLink("details-delete", changeable ? eventPath + "delete/" + query : "");
      details.showModal();
    }

    // --- the new-event form in a dialog -------------------------------------------------

    function showFormError(text) {
      formError.textContent = text;
      formError.hidden = !text;
    }

    // --- closing the form: what was typed is not lost unasked ----------------------------

    var formAsShown = null; // the form's values when shown: "changed" compares with them
    var typedIn = false; // shown again after a refusal: what it holds was typed
    var focusBeforeAsking = null;

    function formValues(form) {
      return new URLSearchParams(new FormData(form)).toString();
    }

    function formChanged() {
      var form = formBody.querySelector("form");
      return Boolean(form) && (typedIn || formValues(form) !== formAsShown);
    }

    // Close the form, asking first when something in it would be lost.
    function closeForm() {
      if (!formDialog.open) return;
      if (!formChanged()) {
        formDialog.close();
        return;
      }
      var editing = Boolean(formBody.querySelector("form input[name=version]"));
      document.getElementById("discard-title").textContent = editing
        ? "Discard your changes?"
        : "Discard this event?";
      focusBeforeAsking = document.activeElement;
      discardDialog.returnValue = "";
      discardDialog.showModal();
    }

    discardDialog.addEventListener("close", function () {
      if (discardDialog.returnValue === "discard") {
        formDialog.close();
      } else if (focusBeforeAsking && focusBeforeAsking.isConnected) {
        focusBeforeAsking.focus(); // "Keep editing" (or Escape): back where they were
      }
      focusBeforeAsking = null;
    });

    // Escape: the dialog's own handling would close it at once. A picker's Escape that
    // closes its list is the picker's (Tom Select stops it).
    formDialog.addEventListener("keydown", function (key) {
      if (key.key !== "Escape" || key.defaultPrevented) return;
      key.preventDefault();
      closeForm();
    });
    // Any other request to close it (a device's back gesture).
    formDialog.addEventListener("cancel", function (request) {
      if (!formChanged()) return;
      request.preventDefault();
      closeForm();
    });

    // `typed`: the form comes back refused, with what the person typed in it.
    function showForm(html, typed) {
      formBody.innerHTML = html;
      if (window.obcmsForms) window.obcmsForms.enhance(formBody);
      var form = formBody.querySelector("form");
      if (!form) {
        showFormError("The form could not be shown. Try again.");
        return;
      }
      formAsShown = formValues(form);
      typedIn = typed === true;
      form.addEventListener("submit", submitForm);
      formBody.querySelectorAll("[data-form-cancel]").forEach(function (link) {
        link.addEventListener("click", function (clicked) {
          clicked.preventDefault();
          closeForm();
        });
      });
      var first =
        form.querySelector("[aria-invalid=true]") ||
        form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }

    function openDialog(heading) {
      formHeading.textContent = heading;
      formBody.textContent = "Loading the form…";
      showFormError("");
      formDialog.showModal();
    }

    function openForm(url, heading) {
      if (PHONE.matches) {
        window.location.href = url;
        return;
      }
      openDialog(heading);
      read(url, { "X-Fragment": "form", Accept: "text/html" }, "the form")
        .then(function (response) {
          return response.text();
        })
        .then(showForm)
        .catch(function (error) {
          formBody.textContent = "";
          showFormError("The form could not be loaded (" + error.message + "). Try again.");
        });
    }

    function created(result) {
      unsavedDrop = null;
      formDialog.close();
      calendar.unselect();
      calendar.refetchEvents();
      toast(result.message);
      // What the change did besides (the bookings of a moved occurrence), then conflicts.
      var notes = (result.notes || []).concat(result.warnings || []);
      if (notes.length) {
        showStatus(
          result.message + ". Please check:",
          { href: result.url, text: "Open the event" },
          notes
        );
      }
    }

    function submitForm(submitted) {
      submitted.preventDefault();
      var form = submitted.target;
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      showFormError("");
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-Fragment": "form",
          "X-CSRFToken": csrfToken(),
          Accept: "application/json, text/html",
        },
        body: new URLSearchParams(new FormData(form)),
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (response.ok && type.indexOf("application/json") !== -1) {
            return response.json().then(created);
          }
          if (response.status === 401) return signIn();
          // Refused: the form again, every error beside its field.
          if (response.status < 500 && type.indexOf("text/html") !== -1) {
            return response.text().then(function (html) {
              showForm(html, true);
            });
          }
          throw new Error("the server answered " + response.status);
        })
        .catch(function (error) {
          if (button) button.disabled = false;
          showFormError("The event was not saved: " + error.message + ". Try again.");
        });
    }

    function openNewEvent(range) {
      var params = new URLSearchParams();
      if (range) {
        var end = range.endStr;
        // A click on one time slot means an hour, as a drag over two slots would.
        if (!range.allDay && range.start && range.end - range.start < HOUR) {
          end = calendar.formatIso(new Date(range.start.getTime() + HOUR));
        }
        params.set("start", range.startStr);
        params.set("end", end);
        if (range.allDay) params.set("all_day", "1");
      }
      var query = params.toString();
      openForm(newEventUrl + (query ? "?" + query : ""), "New event");
    }

    // --- the calendar -------------------------------------------------------------------

    // The month and list views grow with their entries; the day and week views scroll their
    // hours in a fixed height, opened at the working day (height is not a per-view option).
    // Once a day or week view's entries are in: an entry before the working day (a 07:00
    // stand-up) would sit above the hours shown, unseen; the view opens at the earliest one.
    var openAtEarliest = false;

    function scrollToEarliest() {
      var view = calendar.view;
      var earliest = null;
      calendar.getEvents().forEach(function (event) {
        if (event.allDay || !event.start || event.start >= view.activeEnd) return;
        if ((event.end || event.start) <= view.activeStart) return;
        var time = calendar.formatDate(event.start, "HH:mm");
        if (earliest === null || time < earliest) earliest = time;
      });
      if (earliest !== null && earliest + ":00" < WORKING_DAY) {
        calendar.scrollToTime(earliest.slice(0, 2) + ":00:00");
      }
    }

    function fitView(info) {
      var timed = info.view.type.indexOf("timeGrid") === 0;
      openAtEarliest = timed;
      var height = timed ? Math.max(480, window.innerHeight - 160) : "auto";
      var resized = calendar.getOption("height") !== height;
      if (resized) calendar.setOption("height", height);
      if (resized && timed) {
        // Once laid out: a view that had no height opened at midnight.
        window.requestAnimationFrame(function () {
          calendar.scrollToTime(WORKING_DAY);
        });
      }
      // The entries of the new dates may be in already (fetched with the month before).
      if (timed) window.requestAnimationFrame(scrollToEarliest);
    }

    // A day's column of the day and week views takes the keyboard's focus: the hours scroll
    // in a box of their own, which a keyboard reaches through it, and Enter there opens a
    // new event on that day.
    function prepareDay(arg) {
      var cell = arg.el;
      // Named by its whole content, events included, not by its day number alone.
      cell.removeAttribute("aria-labelledby");
      if (!cell.classList.contains("fc-timegrid-col")) return;
      cell.tabIndex = 0;
      cell.title = format.day(cell.dataset.date) + ": press Enter for a new event";
      cell.addEventListener("keydown", function (key) {
        if (key.target !== cell || (key.key !== "Enter" && key.key !== " ")) return;
        key.preventDefault();
        var day = cell.dataset.date;
        openNewEvent({ startStr: day + "T" + WORKING_DAY, endStr: day + "T" + WORKING_DAY_HOUR });
      });
    }

    calendar = new FullCalendar.Calendar(element, {
      timeZone: format.zone,
      initialView: PHONE.matches ? "listWeek" : "dayGridMonth",
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: PHONE.matches
          ? "listWeek,timeGridDay,dayGridMonth"
          : "dayGridMonth,timeGridWeek,timeGridDay,listWeek",
      },
      // Text, not the icon font: the CSP's font-src 'self' refuses FullCalendar's data: font.
      buttonIcons: false,
      buttonText: {
        prev: "‹",
        next: "›",
        today: "Today",
        month: "Month",
        week: "Week",
        day: "Day",
        list: "List",
      },
      buttonHints: { prev: "Previous $0", next: "Next $0", today: "This $0" },
      viewHint: "$0 view",
      moreLinkHint: "Show $0 more entries",
      navLinkHint: "Show the day $0",
      closeHint: "Close",
      firstDay: 1,
      height: "auto",
      views: {
        dayGridMonth: { titleFormat: "LLLL yyyy", dayHeaderFormat: "ccc" },
        timeGridWeek: { dayHeaderFormat: PHONE.matches ? "ccc d" : "ccc d LLL" },
        timeGrid: { scrollTime: WORKING_DAY },
        timeGridDay: { titleFormat: "cccc d LLLL yyyy", dayHeaderFormat: "cccc d LLLL" },
        listWeek: { noEventsText: "Nothing this week." },
      },
      dayMaxEvents: 3,
      // Luxon formats (the connector): dates as the rest of the site writes them.
      eventTimeFormat: "HH:mm",
      slotLabelFormat: "HH:mm",
      titleFormat: "d LLL yyyy",
      listDayFormat: "cccc",
      listDaySideFormat: "d LLLL yyyy",
      defaultRangeSeparator: " – ",
      navLinks: true,
      nowIndicator: true,
      eventInteractive: true,
      selectable: true,
      selectMirror: true,
      editable: false, // per entry: prepareEntry
      eventDataTransform: prepareEntry,
      eventAllow: allowDrop,
      events: loadFeed,
      loading: function (isLoading) {
        loading.hidden = !isLoading;
        element.setAttribute("aria-busy", isLoading ? "true" : "false");
        if (!isLoading && openAtEarliest) {
          openAtEarliest = false;
          window.requestAnimationFrame(scrollToEarliest);
        }
      },
      eventClassNames: classNames,
      eventContent: continuedTitle,
      eventDidMount: describe,
      // The "+N more" link opens a popover: a button (then its aria-expanded is allowed).
      moreLinkDidMount: function (arg) {
        arg.el.setAttribute("role", "button");
      },
      dayCellDidMount: prepareDay,
      eventClick: function (info) {
        info.jsEvent.preventDefault();
        openDetails(info.event);
      },
      datesSet: fitView,
      select: openNewEvent,
      // A finger's tap on an empty slot opens the form too (a selection takes a long press
      // on a touch screen, which nobody guesses); a mouse's click selects, as above.
      dateClick: function (info) {
        if (!TOUCH.matches) return;
        var end = new Date(info.date.getTime() + (info.allDay ? 24 : 1) * HOUR);
        openNewEvent({
          start: info.date,
          end: end,
          startStr: info.dateStr,
          endStr: calendar.formatIso(end, info.allDay),
          allDay: info.allDay,
        });
      },
      eventDrop: move,
      eventResize: move,
    });
    calendar.render();

    filters.addEventListener("change", function () {
      calendar.refetchEvents();
    });
    document.getElementById("new-event").addEventListener("click", function (clicked) {
      if (PHONE.matches) return; // the link: the form's page
      clicked.preventDefault();
      openNewEvent(null);
    });
    [
      [
        details,
        function () {
          details.close();
        },
      ],
      [formDialog, closeForm],
    ].forEach(function (pair) {
      var dialog = pair[0];
      dialog.querySelectorAll("[data-close]").forEach(function (button) {
        button.addEventListener("click", pair[1]);
      });
      // A click on the backdrop (the dialog itself, outside its content) closes it.
      dialog.addEventListener("click", function (clicked) {
        if (clicked.target === dialog) pair[1]();
      });
    });
    formDialog.addEventListener("close", function () {
      formBody.textContent = "";
      formAsShown = null;
      typedIn = false;
      calendar.unselect();
      if (unsavedDrop) unsavedDrop();
      unsavedDrop = null;
    });
    window.obcmsCalendar = calendar; // for the browser tests and the console
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
