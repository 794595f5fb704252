// The overview's trend chart. Data comes from a JSON data block the server wrote (never executed as script);
// Chart.js is vendored beside this file (chart.umd.min.js, MIT, see chart.js.LICENSE.md).
(function () {
  "use strict";
  var canvas = document.getElementById("trend");
  var block = document.getElementById("trend-data");
  if (!canvas || !block || typeof Chart === "undefined") { return; }
  var data = JSON.parse(block.textContent || "{}");
  var chart = new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels || [],
      datasets: [
        { label: "deny", data: data.denies || [], borderColor: "#b3261e", backgroundColor: "#b3261e", tension: 0.1 },
        { label: "review", data: data.reviews || [], borderColor: "#b26a00", backgroundColor: "#b26a00", tension: 0.1 }
      ]
    },
    options: {
      animation: false,
      responsive: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
  canvas.setAttribute("data-drawn", String(chart.data.labels.length));
})();
