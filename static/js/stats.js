// Charts of the statistics pages (Chart.js, vendored): monthly volumes and the on-time rate.
(function () {
  "use strict";
  var canvas = document.getElementById("stats-chart");
  var source = document.getElementById("stats-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var datasets = [{ type: "bar", label: canvas.dataset.receivedLabel || "Tiếp nhận", data: data.received, yAxisID: "y", backgroundColor: "#9ec5fe" }];
  if (data.resolved) {
    datasets.push({ type: "bar", label: canvas.dataset.resolvedLabel || "Đã giải quyết", data: data.resolved, yAxisID: "y", backgroundColor: "#a3cfbb" });
  }
  datasets.push({ type: "line", label: canvas.dataset.rateLabel || "Tỷ lệ đúng hạn (%)", data: data.on_time_rate, yAxisID: "rate", borderColor: "#b02a37", spanGaps: true });
  window.statsChart = new Chart(canvas, {
    data: { labels: data.labels, datasets: datasets },
    options: {
      animation: false,
      scales: { y: { beginAtZero: true, position: "left" }, rate: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } } }
    }
  });
  canvas.dataset.ready = "1";
})();
