/* Times, dates and codes as words, in the browser: the same strings as the server's Jinja
 * filters (gateway_service/formatting.py), in the zone of <html data-time-zone> (the
 * viewer's; the office's, Asia/Manila, when the page names none or an unknown one).
 *
 *   obcmsFormat.moment("2026-12-14T01:00:00Z")        -> "Mon 14 Dec 2026, 09:00"
 *   obcmsFormat.day("2026-12-14")                      -> "Mon 14 Dec 2026"
 *   obcmsFormat.span(start, end, allDay)               -> "Mon 14 Dec 2026, 09:00–10:30"
 *   obcmsFormat.label("not_started")                   -> "Not started"
 *
 * Values are Date objects or ISO strings; a date-time without an offset is office time and
 * an all-day end is exclusive, as on the server. Labels that are not just the code's words
 * (acronyms) come from <script type="application/json" id="obcms-labels"> when the page
 * renders the server's table there. */
(function () {
  "use strict";

  var OFFICE_ZONE = "Asia/Manila";
  var EMPTY = "—";
  var WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
  var HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
  var NAIVE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?$/;

  function knownZone(name) {
    if (!name) return OFFICE_ZONE;
    try {
      new Intl.DateTimeFormat("en-GB", { timeZone: name });
      return name;
    } catch (error) {
      return OFFICE_ZONE;
    }
  }

  var zone = knownZone(document.documentElement.dataset.timeZone);
  var partsFormat = {};

  /* The wall clock of `instant` in `zoneName`: {year, month, day, hour, minute}. */
  function wallClock(instant, zoneName) {
    if (!partsFormat[zoneName]) {
      partsFormat[zoneName] = new Intl.DateTimeFormat("en-GB", {
        timeZone: zoneName,
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        hourCycle: "h23",
      });
    }
    var clock = {};
    partsFormat[zoneName].formatToParts(instant).forEach(function (part) {
      if (part.type !== "literal") clock[part.type] = Number(part.value);
    });
    return clock;
  }

  /* The instant of a wall-clock time in `zoneName` (two passes settle the zone's offset). */
  function instantOf(year, month, day, hour, minute, second, zoneName) {
    var wanted = Date.UTC(year, month - 1, day, hour, minute, second);
    var guess = wanted;
    for (var pass = 0; pass < 2; pass++) {
      var seen = wallClock(new Date(guess), zoneName);
      var shown = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, second);
      guess += wanted - shown;
    }
    return new Date(guess);
  }

  /* A Date from a Date or an ISO date-time (no offset: office time); null when unreadable. */
  function toInstant(value) {
    if (value instanceof Date) return isNaN(value.getTime()) ? null : value;
    var text = String(value).trim();
    var naive = NAIVE.exec(text);
    if (naive) {
      return instantOf(
        Number(naive[1]), Number(naive[2]), Number(naive[3]),
        Number(naive[4] || 0), Number(naive[5] || 0), Number(naive[6] || 0), OFFICE_ZONE
      );
    }
    if (!HAS_OFFSET.test(text)) return null;
    var parsed = new Date(text);
    return isNaN(parsed.getTime()) ? null : parsed;
  }

  /* A calendar day {year, month, day}: a date string as it is, a date-time in the viewer's zone. */
  function toDay(value) {
    if (!(value instanceof Date)) {
      var match = DATE_ONLY.exec(String(value).trim());
      if (match) return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
    }
    var instant = toInstant(value);
    return instant ? wallClock(instant, zone) : null;
  }

  function dayNumber(day) {
    return Date.UTC(day.year, day.month - 1, day.day) / 86400000;
  }

  function dayText(day) {
    var weekday = new Date(dayNumber(day) * 86400000).getUTCDay();
    return WEEKDAYS[weekday] + " " + day.day + " " + MONTHS[day.month - 1] + " " + day.year;
  }

  function timeText(clock) {
    return String(clock.hour).padStart(2, "0") + ":" + String(clock.minute).padStart(2, "0");
  }

  function blank(value) {
    return value === null || value === undefined || value === "";
  }

  function moment(value) {
    if (blank(value)) return EMPTY;
    var instant = toInstant(value);
    if (!instant) return String(value);
    var clock = wallClock(instant, zone);
    return dayText(clock) + ", " + timeText(clock);
  }

  function day(value) {
    if (blank(value)) return EMPTY;
    var found = toDay(value);
    return found ? dayText(found) : String(value);
  }

  function span(start, end, allDay) {
    if (blank(start)) return EMPTY;
    if (allDay) {
      var first = toDay(start);
      if (!first) return String(start);
      var last = blank(end) ? null : toDay(end);
      var lastNumber = last ? dayNumber(last) : null;
      if (lastNumber !== null && lastNumber > dayNumber(first)) lastNumber -= 1; // exclusive end
      if (lastNumber === null || lastNumber <= dayNumber(first)) return dayText(first);
      var lastDate = new Date(lastNumber * 86400000);
      var lastDay = {
        year: lastDate.getUTCFullYear(),
        month: lastDate.getUTCMonth() + 1,
        day: lastDate.getUTCDate(),
      };
      return dayText(first) + " – " + dayText(lastDay);
    }
    var begin = toInstant(start);
    if (!begin) return String(start);
    var from = wallClock(begin, zone);
    var finish = blank(end) ? null : toInstant(end);
    if (!finish) return dayText(from) + ", " + timeText(from);
    var to = wallClock(finish, zone);
    if (dayNumber(from) === dayNumber(to)) {
      return dayText(from) + ", " + timeText(from) + "–" + timeText(to);
    }
    return dayText(from) + ", " + timeText(from) + " – " + dayText(to) + ", " + timeText(to);
  }

  var labels = null;

  function label(code) {
    if (blank(code)) return EMPTY;
    if (labels === null) {
      var table = document.getElementById("obcms-labels");
      labels = table ? JSON.parse(table.textContent) : {};
    }
    var text = String(code);
    if (Object.prototype.hasOwnProperty.call(labels, text)) return labels[text];
    var words = text.replace(/_/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  // A service's refusal as a person reads it (the pages' `in_words`): API clients get the
  // field it names first and the ids of the records in the way, a person the sentence.
  function refusal(message) {
    var text = String(message || "")
      .replace(/^[A-Za-z_][\w.\[\]]*: /, "")
      .replace(/,? id [0-9a-fA-F-]{36}/g, "")
      .replace(/(^|[^\w./-])([A-Za-z][a-z]*(?:_[a-z0-9]+)+)(?![\w./-])/g, function (_, before, code) {
        return before + code.replace(/_/g, " ");
      });
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  window.obcmsFormat = {
    zone: zone,
    moment: moment,
    day: day,
    span: span,
    label: label,
    refusal: refusal,
  };
})();
