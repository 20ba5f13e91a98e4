// The cumulative-value series of a 深基坑监测点 with its alarm threshold (±), drawn with the
// vendored ECharts from the JSON the page embeds (id "pit-series"); the table below stays the record.
(function () {
  "use strict";
  var holder = document.getElementById("pit-chart");
  var source = document.getElementById("pit-series");
  if (!holder || !source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(holder);
  var points = data.values.map(function (value, i) {
    return data.alarms[i]
      ? { value: value, symbol: "circle", symbolSize: 10, itemStyle: { color: "#dc3545" } }
      : value;
  });
  chart.setOption({
    grid: { left: 48, right: 16, top: 24, bottom: 32 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.dates },
    yAxis: { type: "value", name: data.unit },
    series: [
      {
        name: "累计值",
        type: "line",
        data: points,
        symbolSize: 6,
        showAllSymbol: true,
        markLine: {
          symbol: "none",
          lineStyle: { color: "#dc3545", type: "dashed" },
          label: { position: "insideEndTop", formatter: "报警值 {c}" },
          data: [{ yAxis: data.threshold }, { yAxis: -data.threshold }],
        },
      },
    ],
  });
  window.addEventListener("resize", function () {
    chart.resize();
  });
})();
