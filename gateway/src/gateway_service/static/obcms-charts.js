// Dashboard and budget-execution charts: draws every <canvas data-chart="key"> from the JSON block
// #dashboard-data when the vendored Chart.js is loaded; the tables stay as the fallback.
// Statuses are coloured by meaning (done green, under way blue, at risk amber, stopped red,
// not started grey) and every slice is named in the legend: colour is never the only cue.
(function () {
  "use strict";
  var MEANING = {
    completed: "#2e7d32", approved: "#2e7d32", enacted: "#1b5e20",
    ongoing: "#1565c0", in_progress: "#1565c0", technical_review: "#1e88e5",
    budget_review: "#42a5f5", stakeholder_consultation: "#64b5f6", executive_approval: "#0d47a1",
    planning: "#78909c", draft: "#90a4ae", not_started: "#90a4ae",
    on_hold: "#f9a825", at_risk: "#f9a825", delayed: "#ef6c00",
    cancelled: "#c62828", rejected: "#c62828"
  };
  var PALETTE = ["#0b5394", "#3d85c6", "#6aa84f", "#e69138", "#674ea7", "#45818e", "#999999"];
  var BUDGET = {
    budget_allocation: ["Budget allocation (PPAs)", "#0b5394"],
    allocated: ["Allocated (tranches)", "#3d85c6"],
    obligated: ["Obligated", "#e69138"],
    disbursed: ["Disbursed", "#6aa84f"]
  };

  // The page's own words for its codes ("OOBC PPA", not "Oobc ppa"), as its tables say them.
  var NAMES = {};

  function label(code) {
    if (Object.prototype.hasOwnProperty.call(NAMES, code)) return NAMES[code];
    if (window.obcmsFormat && window.obcmsFormat.label) return window.obcmsFormat.label(code);
    var text = String(code).replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function budgetChart(canvas, series) {
    var keys = Object.keys(BUDGET);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: keys.map(function (k) { return BUDGET[k][0]; }),
        datasets: [{
          data: keys.map(function (k) { return Number(series[k] || 0); }),
          backgroundColor: keys.map(function (k) { return BUDGET[k][1]; })
        }]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        plugins: { legend: { display: false } },
        // Starts at zero and scales to the largest amount: never an empty 0-1 axis.
        scales: { x: { beginAtZero: true, suggestedMax: 1, ticks: { callback: function (v) {
          return "₱" + Number(v).toLocaleString("en-PH", { notation: "compact" });
        } } } }
      }
    });
  }

  // Budget execution: allocated, obligated and disbursed side by side for each sector.
  function executionChart(canvas, series) {
    var names = ["allocated", "obligated", "disbursed"];
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: names.map(function (k) {
          return { label: BUDGET[k][0], data: series[k], backgroundColor: BUDGET[k][1] };
        })
      },
      options: {
        responsive: true,
        plugins: { legend: { display: true, position: "bottom" } },
        scales: { y: { beginAtZero: true, suggestedMax: 1, ticks: { callback: function (v) {
          return "₱" + Number(v).toLocaleString("en-PH", { notation: "compact" });
        } } } }
      }
    });
  }

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    NAMES = data.names || {};
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var key = canvas.getAttribute("data-chart");
      var series = data[key];
      if (!series) { return; }
      if (key === "budget") { budgetChart(canvas, series); return; }
      if (key === "execution") { executionChart(canvas, series); return; }
      var codes = Object.keys(series);
      new window.Chart(canvas, {
        type: "doughnut",
        data: {
          labels: codes.map(function (k) { return label(k) + " (" + series[k] + ")"; }),
          datasets: [{
            data: codes.map(function (k) { return series[k]; }),
            backgroundColor: codes.map(function (k, i) { return MEANING[k] || PALETTE[i % PALETTE.length]; })
          }]
        },
        options: {
          responsive: true,
          animation: false,  // drawn at once: nothing moves on a page read for its figures
          plugins: {
            // Below the chart, in readable type: beside it, a card of a third of the page
            // (or a phone's) cut the longer names off.
            legend: {
              display: true,
              position: "bottom",
              labels: { font: { size: 13 }, boxWidth: 12 }
            }
          }
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
