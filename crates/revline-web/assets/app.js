// Revline's page script: charts from the JSON the server embeds, live updates over
// server-sent events, and the CSRF token on every htmx request.
(function () {
  "use strict";
  var charts = [];

  function initCharts(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      var option = JSON.parse(el.dataset.chart);
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      if (el.dataset.clickUrl) {
        chart.on("click", function (p) {
          var key = (option.keys && option.keys[p.dataIndex]) || p.name;
          window.location = el.dataset.clickUrl.replace("__KEY__", encodeURIComponent(key));
        });
      }
      charts.push(chart);
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  document.addEventListener("htmx:configRequest", function (e) {
    var token = document.body.dataset.csrf;
    if (token) e.detail.headers["X-CSRF-Token"] = token;
  });

  function figures(root) {
    var out = {};
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      out[el.dataset.figure] = el.textContent.trim();
    });
    return out;
  }

  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.classList.add("show");
    clearTimeout(box._t);
    box._t = setTimeout(function () { box.classList.remove("show"); }, 6000);
  }

  // Fetches the page again and swaps its main part in, marking the figures that moved.
  function refresh(change) {
    var main = document.getElementById("main");
    if (!main) return;
    if (main.dataset.live === "off") {
      toast((document.body.dataset.liveText || "New data") + ": " + change.what);
      return;
    }
    var before = figures(main);
    fetch(window.location.href, { headers: { "X-Revline-Refresh": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        if (!fresh) return;
        charts.forEach(function (c) { c.dispose(); });
        charts = [];
        main.innerHTML = fresh.innerHTML;
        var changed = 0;
        main.querySelectorAll("[data-figure]").forEach(function (el) {
          var old = before[el.dataset.figure];
          if (old !== undefined && old !== el.textContent.trim()) {
            el.classList.add("changed");
            el.title = (document.body.dataset.was || "was") + " " + old;
            changed++;
          }
        });
        initCharts(main);
        htmx.process(main);
        var status = document.getElementById("live-status");
        if (status) status.dataset.version = change.version;
        toast((document.body.dataset.liveText || "New data") + ": " + change.what +
          (changed ? " (" + changed + ")" : ""));
      });
  }

  function listen() {
    if (!window.EventSource || !document.body.dataset.live) return;
    var source = new EventSource("/events");
    source.addEventListener("change", function (e) {
      refresh(JSON.parse(e.data));
    });
    source.onopen = function () {
      var s = document.getElementById("live-status");
      if (s) s.classList.add("on");
    };
    source.onerror = function () {
      var s = document.getElementById("live-status");
      if (s) s.classList.remove("on");
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCharts(document);
    listen();
  });
  document.addEventListener("htmx:afterSettle", function (e) { initCharts(e.target); });
})();
