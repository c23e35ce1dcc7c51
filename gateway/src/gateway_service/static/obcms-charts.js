// Dashboard charts: draws every <canvas data-chart="key"> from the JSON block
// #dashboard-data when the vendored Chart.js is loaded; the tables stay as the fallback.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var palette = ["#0b5394", "#3d85c6", "#6fa8dc", "#e69138", "#6aa84f", "#cc0000", "#674ea7", "#999999"];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var series = data[canvas.getAttribute("data-chart")];
      if (!series) { return; }
      var labels = Object.keys(series);
      var values = labels.map(function (k) { return series[k]; });
      new window.Chart(canvas, {
        type: canvas.getAttribute("data-chart") === "budget" ? "bar" : "doughnut",
        data: {
          labels: labels.map(function (k) { return k.replace(/_/g, " "); }),
          datasets: [{ data: values, backgroundColor: palette }]
        },
        options: { responsive: true, plugins: { legend: { display: canvas.getAttribute("data-chart") !== "budget" } } }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
