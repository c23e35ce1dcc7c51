/* The calendar page: FullCalendar 6 fed by the gateway's aggregated feed.
 * Module checkboxes refetch with ?modules=; a click on an entry opens the details panel. */
(function () {
  "use strict";

  function selectedModules(form) {
    return Array.from(form.querySelectorAll("input[name=modules]:checked")).map(function (box) {
      return box.value;
    });
  }

  function showStatus(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  function formatWhen(event) {
    var options = event.allDay
      ? { dateStyle: "medium" }
      : { dateStyle: "medium", timeStyle: "short" };
    var format = new Intl.DateTimeFormat(undefined, options);
    if (!event.end) return format.format(event.start);
    var end = event.end;
    if (event.allDay) end = new Date(end.getTime() - 86400000); // exclusive end
    var first = format.format(event.start);
    var last = format.format(end);
    return first === last ? first : first + " – " + last;
  }

  function start() {
    var element = document.getElementById("calendar");
    var form = document.getElementById("calendar-filters");
    var status = document.getElementById("calendar-status");
    var panel = document.getElementById("calendar-details");
    var layout = element.parentElement;
    var feedUrl = element.dataset.feedUrl;

    function closeDetails() {
      panel.hidden = true;
      layout.classList.remove("with-details");
    }

    function openDetails(event) {
      var props = event.extendedProps || {};
      document.getElementById("details-title").textContent = event.title;
      document.getElementById("details-module").textContent = props.module || "";
      document.getElementById("details-category").textContent = (props.category || "").replace(/_/g, " ");
      document.getElementById("details-when").textContent = formatWhen(event);
      document.getElementById("details-status").textContent = (props.status || "").replace(/_/g, " ");
      var link = document.getElementById("details-link");
      link.href = props.url || "#";
      link.hidden = !props.url;
      panel.hidden = false;
      layout.classList.add("with-details");
    }

    var calendar = new FullCalendar.Calendar(element, {
      initialView: "dayGridMonth",
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "dayGridMonth,timeGridWeek,listMonth",
      },
      buttonText: { month: "Month", week: "Week", list: "List", today: "Today" },
      height: "auto",
      dayMaxEvents: 4,
      nowIndicator: true,
      events: function (info, success, failure) {
        var modules = selectedModules(form);
        if (modules.length === 0) {
          showStatus(status, "Choose at least one module.");
          success([]);
          return;
        }
        var params = new URLSearchParams({
          start: info.startStr,
          end: info.endStr,
          modules: modules.join(","),
        });
        fetch(feedUrl + "?" + params.toString(), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            if (response.status === 401) {
              window.location.href = "/accounts/login/?next=" + encodeURIComponent(window.location.pathname);
              throw new Error("signed out");
            }
            if (!response.ok) throw new Error("the calendar feed answered " + response.status);
            return response.json();
          })
          .then(function (feed) {
            var missing = Object.keys(feed.sources).filter(function (name) {
              return feed.sources[name] === "error" || feed.sources[name] === "timeout";
            });
            showStatus(
              status,
              missing.length
                ? "Some entries are missing: the " + missing.join(", ") + " service did not answer in time. Try again shortly."
                : ""
            );
            success(feed.events);
          })
          .catch(function (error) {
            showStatus(status, "The calendar could not be loaded: " + error.message);
            failure(error);
          });
      },
      eventClick: function (info) {
        info.jsEvent.preventDefault();
        openDetails(info.event);
      },
    });
    calendar.render();
    form.addEventListener("change", function () {
      calendar.refetchEvents();
    });
    document.getElementById("calendar-details-close").addEventListener("click", closeDetails);
    window.obcmsCalendar = calendar; // for the browser tests and the console
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
