// Charts of the statistics pages (Chart.js, vendored). Data come from json_script elements:
// "stats-chart-data" (the monthly volumes and on-time rate of the public page) and
// "stats-charts-data" (the leaders' dashboard: rankings, trends, satisfaction, the index by
// group), each element of which opens the list of dossiers behind it (its "links" entry).
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }

  function monthly() {
    var canvas = document.getElementById("stats-chart");
    var source = document.getElementById("stats-chart-data");
    if (!canvas || !source) { return; }
    var data = JSON.parse(source.textContent);
    var datasets = [{ type: "bar", label: canvas.dataset.receivedLabel || "Tiếp nhận", data: data.received, yAxisID: "y", backgroundColor: "#0b5ed7" }];
    if (data.resolved) {
      datasets.push({ type: "bar", label: canvas.dataset.resolvedLabel || "Đã giải quyết", data: data.resolved, yAxisID: "y", backgroundColor: "#146c43" });
    }
    datasets.push({ type: "line", label: canvas.dataset.rateLabel || "Tỷ lệ đúng hạn (%)", data: data.on_time_rate, yAxisID: "rate", borderColor: "#b02a37", borderDash: [6, 3], pointStyle: "circle", spanGaps: true });
    window.statsChart = new Chart(canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, position: "left" }, rate: { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } } }
      }
    });
    canvas.dataset.ready = "1";
  }

  function dataset(series, chart) {
    var line = chart.line || series.rate && !chart.horizontal;
    return {
      type: line ? "line" : "bar",
      label: series.label,
      data: series.values,
      yAxisID: chart.horizontal ? undefined : (series.rate && chart.series.length > 1 ? "rate" : "y"),
      backgroundColor: series.key === "index_max" ? "rgba(73, 80, 87, 0.15)" : series.colour,
      borderColor: series.colour,
      borderWidth: series.key === "index_max" ? 1 : (line ? 2 : 0),
      borderDash: series.dash,
      pointStyle: series.point,
      pointRadius: line ? 5 : 0,
      spanGaps: true,
      grouped: series.key !== "index_max"
    };
  }

  function draw(canvas, chart) {
    var scales = {};
    if (chart.horizontal) {
      scales = { x: { beginAtZero: true, max: chart.unit === "%" ? 100 : undefined } };
    } else {
      scales = { y: { beginAtZero: true, max: chart.unit === "%" ? 100 : undefined } };
      if (chart.series.some(function (s) { return s.rate; }) && chart.series.length > 1) {
        scales.rate = { min: 0, max: 100, position: "right", grid: { drawOnChartArea: false } };
      }
    }
    var instance = new Chart(canvas, {
      data: { labels: chart.labels, datasets: chart.series.map(function (s) { return dataset(s, chart); }) },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: chart.horizontal ? "y" : "x",
        interaction: { mode: "nearest", intersect: !!chart.horizontal },
        plugins: { legend: { labels: { usePointStyle: true } } },
        scales: scales,
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick: function (_event, elements) {
          if (!elements.length) { return; }
          var link = chart.links[elements[0].index];
          if (link) { window.location.assign(canvas.dataset.listUrl + "?" + link); }
        }
      }
    });
    canvas.dataset.ready = "1";
    return instance;
  }

  function dashboard() {
    var source = document.getElementById("stats-charts-data");
    if (!source) { return; }
    var charts = JSON.parse(source.textContent);
    window.statsCharts = {};
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = charts[canvas.dataset.chart];
      if (chart && chart.labels.length) { window.statsCharts[canvas.dataset.chart] = draw(canvas, chart); }
    });
  }

  monthly();
  dashboard();
})();
