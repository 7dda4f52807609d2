// Draws the manager charts from the JSON the page embeds (json_script), with the
// Chart.js copy the portal serves itself.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#b42318", "#f79009", "#fdb022", "#667085", "#2e90fa", "#12b76a"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var chart = data[canvas.dataset.chart];
    if (!chart) return;
    if (!chart.labels.length) {
      var empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "No data yet.";
      canvas.replaceWith(empty);
      return;
    }
    var stacked = canvas.dataset.stacked === "true";
    var datasets = chart.datasets.map(function (set, i) {
      var colour = chart.datasets.length > 1 ? palette[i % palette.length] : "#2e90fa";
      return Object.assign({ backgroundColor: colour, borderColor: colour }, set);
    });
    canvas.chart = new Chart(canvas, {
      type: canvas.dataset.kind || "bar",
      data: { labels: chart.labels, datasets: datasets },
      options: {
        animation: false,
        scales: {
          x: { stacked: stacked },
          // Counts are whole numbers; the median chart keeps its decimals.
          y: { stacked: stacked, beginAtZero: true, ticks: canvas.dataset.kind === "line" ? {} : { precision: 0 } },
        },
        plugins: { legend: { display: chart.datasets.length > 1 } },
      },
    });
  });
});
