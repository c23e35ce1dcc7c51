/* The timeline pages (templates/timeline*.html): a Gantt chart (frappe-gantt) of the rows in
 * <script id="timeline-rows">, each {id, name, start, end, kind, movable, url, status, and
 * for a movable one apiUrl, version, dateFields}.
 *
 * - The scale buttons switch the chart between days, weeks, months and years; it opens in the
 *   scale the page chose for the rows' span, scrolled to the first of them.
 * - Each bar is coloured by its record's status (obcms-timeline.css; the legend says which);
 *   a group's row is a header: a shaded row with a thin line over its PPAs' span.
 * - A click on a bar opens its name, dates in words and a link to its page.
 * - Rows the service lets the viewer change (`movable`) can be dragged to another day: the
 *   move PATCHes the record's date fields (a milestone's date; a task's due date, and its
 *   start when it has one) with If-Match of the version the row was drawn at, through the API
 *   facade with the CSRF token, as the calendar's drag does. A refusal says why beside the
 *   chart and reloads the page, so the bar goes back to where the record is; the message
 *   stays after the reload. Other rows do not move (their mousedown never reaches the chart).
 * The table under the chart holds the same rows with their dates in words; a saved move
 * changes its dates too. */
(function () {
  "use strict";

  var MESSAGE_KEY = "obcms-timeline-message";
  var DAY = 86400000;
  // Days in one step of the chart's scales: frappe-gantt draws a duration in months as days
  // over 30 and in years as days over 365, and so does a move here.
  var DAYS_PER_UNIT = { day: 1, month: 30, year: 365 };
  // The narrowest a bar is drawn (a one-day milestone is 4 px wide by month), so it can be
  // seen, clicked and dragged.
  var MIN_BAR_WIDTH = 14;
  var format = window.obcmsFormat;

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

  function shiftDay(day, days) {
    return new Date(Date.parse(day + "T00:00:00Z") + days * DAY).toISOString().slice(0, 10);
  }

  // A YYYY-MM-DD day as the chart's local midnight.
  function localDay(day) {
    var parts = day.split("-").map(Number);
    return new Date(parts[0], parts[1] - 1, parts[2]);
  }

  function start() {
    var element = document.getElementById("timeline-chart");
    var data = document.getElementById("timeline-rows");
    var status = document.getElementById("timeline-status");
    if (!element || !data || typeof window.Gantt !== "function") return;
    var rows = JSON.parse(data.textContent);
    var byId = {};
    rows.forEach(function (row) {
      // One class only: frappe-gantt adds it with classList.add. The status and whether it
      // moves are added after each drawing (`decorate`).
      row.custom_class = "tl-" + row.kind;
      row.drawnStart = row.start;
      row.drawnEnd = row.end;
      byId[row.id] = row;
    });

    function showStatus(text) {
      status.textContent = text;
      status.hidden = !text;
    }

    // A refusal's reason, kept over the reload that puts the bar back.
    var kept = window.sessionStorage.getItem(MESSAGE_KEY);
    if (kept) {
      window.sessionStorage.removeItem(MESSAGE_KEY);
      showStatus(kept);
    }

    function refusal(statusCode, title, message) {
      var what = quoted(title) + " was not moved: ";
      if (statusCode === 412) {
        return what + "it was changed by someone else meanwhile. The chart now shows its " +
          "latest version; move it again if you still want to.";
      }
      if (statusCode === 403) return what + (message || "you may not change it.");
      if (statusCode === 404) return what + "it no longer exists.";
      if (statusCode === 409 || statusCode === 400 || statusCode === 422) {
        return what + (message || "the new date was refused.");
      }
      return what + "the server answered " + statusCode + ". Try again shortly.";
    }

    function refuseAndReload(message) {
      showStatus(message);
      window.sessionStorage.setItem(MESSAGE_KEY, message);
      window.location.reload();
    }

    function errorMessage(response) {
      return response
        .json()
        .then(function (body) {
          return (body && body.error && body.error.message) || "";
        })
        .catch(function () {
          return "";
        });
    }

    function showDates(row, body) {
      row.dateFields.forEach(function (field) {
        var selector = '[data-row="' + row.id + '"][data-date-field="' + field + '"]';
        document.querySelectorAll(selector).forEach(function (cell) {
          cell.textContent = format.day(body[field]);
        });
      });
    }

    // Puts a row's bar on its dates: frappe-gantt's own dates of a dragged bar are cut to the
    // first of a month (or year) in those scales.
    function placeAt(row) {
      row._start = localDay(row.drawnStart);
      row._end = new Date(localDay(row.drawnEnd).getTime() + DAY);
      gantt.change_view_mode(gantt.options.view_mode, true);
    }

    // A drag's days: how far the bar went on the scale, so a move by month lands on the day
    // it was dropped on (its snapping: a week by month, 30 days by year).
    function draggedDays(task) {
      var bar = gantt.get_bar(task.id);
      var columns = (bar.$bar.getX() - bar.$bar.ox) / gantt.config.column_width;
      return Math.round(columns * gantt.config.step * DAYS_PER_UNIT[gantt.config.unit]);
    }

    function move(task) {
      var row = byId[task.id];
      var shift = draggedDays(task);
      if (!shift) {
        placeAt(row);
        return;
      }
      var day = shiftDay(row.drawnStart, shift);
      var body = {};
      row.dateFields.forEach(function (field) {
        body[field] = shiftDay(field === "due_date" ? row.drawnEnd : row.drawnStart, shift);
      });
      showStatus("");
      fetch(row.apiUrl, {
        method: "PATCH",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
          "If-Match": '"' + row.version + '"',
        },
        body: JSON.stringify(body),
      })
        .then(function (response) {
          if (response.status === 401) {
            window.location.href = "/accounts/login/?next=" + encodeURIComponent(window.location.pathname);
            return;
          }
          if (response.ok) {
            return response.json().then(function (saved) {
              row.version = saved.version;
              row.drawnStart = day;
              row.drawnEnd = shiftDay(row.drawnEnd, shift);
              placeAt(row);
              showDates(row, saved);
              toast(quoted(row.name) + " moved to " + format.day(day));
            });
          }
          return errorMessage(response).then(function (message) {
            refuseAndReload(refusal(response.status, row.name, message));
          });
        })
        .catch(function () {
          refuseAndReload(quoted(row.name) + " was not moved: the server did not answer.");
        });
    }

    // After each drawing: the bars' status and movability as classes, the group rows shaded
    // as headers, the shortest bars widened to be seen and grabbed.
    function decorate(chart) {
      var gridRows = chart.$svg.querySelectorAll(".grid-row");
      chart.bars.forEach(function (bar) {
        var row = byId[bar.task.id];
        if (row.status) bar.group.classList.add("tl-status-" + row.status);
        if (row.movable) bar.group.classList.add("tl-movable");
        if (row.kind === "group" && gridRows[bar.task._index]) {
          gridRows[bar.task._index].classList.add("tl-group-row");
        }
        if (bar.$bar.getWidth() < MIN_BAR_WIDTH) {
          bar.$bar.querySelectorAll("animate").forEach(function (animation) {
            animation.remove();
          });
          bar.$bar.setAttribute("width", MIN_BAR_WIDTH);
          bar.update_label_position();
        }
      });
    }

    var pending = null;
    document.addEventListener("mouseup", function () {
      // After the chart's own mouseup (which says the bar's last date).
      window.setTimeout(function () {
        if (!pending) return;
        var moved = pending;
        pending = null;
        move(moved.task);
      }, 0);
    });

    var gantt = new window.Gantt(element, rows, {
      view_mode: element.dataset.initialView || "Month",
      scroll_to: rows.reduce(function (first, row) {
        return row.start < first ? row.start : first;
      }, rows[0].start),
      readonly_progress: true,
      // A drag moves the whole bar: the resize handles are hidden (obcms-timeline.css), not
      // left out with fixed_duration, whose bars throw on every move in frappe-gantt 1.2.2.
      move_dependencies: false, // one record per move
      today_button: false,
      // Weekends shaded are stripes across months of PPAs, not information.
      holidays: {},
      // A long bar's name follows the sideways scroll, so it stays on screen on a phone.
      auto_move_label: true,
      view_mode_select: false,
      infinite_padding: false,
      container_height: "auto",
      bar_height: 26,
      padding: 12,
      popup_on: "click",
      popup: function (ctx) {
        var row = byId[ctx.task.id];
        ctx.get_title().textContent = row.name;
        ctx.get_subtitle().textContent = format.label(row.kind) + (row.status ? " · " + format.label(row.status) : "");
        var details = ctx.get_details();
        details.textContent = row.drawnStart === row.drawnEnd
          ? format.day(row.drawnStart)
          : format.day(row.drawnStart) + " to " + format.day(row.drawnEnd);
        if (row.url) {
          var link = document.createElement("a");
          link.href = row.url;
          link.textContent = "Open its page";
          details.append(" · ", link);
        }
      },
      // Said on every step of a drag: the move is sent once, when the mouse button is up.
      on_date_change: function (task) {
        pending = { task: task };
      },
      on_view_change: function () {
        decorate(this);
      },
    });

    // The chart scrolls in its own box: reachable by the keyboard, named for screen readers.
    var scroller = element.querySelector(".gantt-container");
    if (scroller) {
      scroller.tabIndex = 0;
      scroller.setAttribute("role", "region");
      scroller.setAttribute("aria-label", "Timeline chart; the same rows are in the table below");
    }

    // Read-only rows: their mousedown stops here, before the chart starts a drag.
    element.addEventListener(
      "mousedown",
      function (event) {
        var bar = event.target.closest && event.target.closest(".bar-wrapper");
        if (!bar) return;
        var row = byId[bar.getAttribute("data-id")];
        if (!row || !row.movable) event.stopPropagation();
      },
      true
    );

    document.querySelectorAll("button[data-view-mode]").forEach(function (button) {
      button.addEventListener("click", function () {
        gantt.change_view_mode(button.dataset.viewMode);
        document.querySelectorAll("button[data-view-mode]").forEach(function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
