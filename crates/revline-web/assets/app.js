// Revline's page script: charts from the JSON the server embeds, live updates over
// server-sent events, and the CSRF token on every htmx request.
(function () {
  "use strict";
  var charts = [];
  // ECharts writes numbers its own way (1,000); the page's language decides instead.
  var numbers = new Intl.NumberFormat(document.documentElement.lang || "en", { maximumFractionDigits: 2 });
  function number(v) { return typeof v === "number" ? numbers.format(v) : v; }
  function localise(option) {
    ["xAxis", "yAxis"].forEach(function (k) {
      var axes = option[k];
      if (!axes) return;
      (Array.isArray(axes) ? axes : [axes]).forEach(function (a) {
        if (a.type !== "value") return;
        a.axisLabel = a.axisLabel || {};
        var f = a.axisLabel.formatter;
        a.axisLabel.formatter = typeof f === "string"
          ? function (v) { return f.replace("{value}", number(v)); }
          : number;
      });
    });
    (option.series || []).forEach(function (s) {
      if (!s.label || !s.label.show) return;
      var f = s.label.formatter;
      if (typeof f === "function") return;
      s.label.formatter = function (p) {
        var v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
        return typeof f === "string" ? f.replace("{c}", number(v)) : number(v);
      };
    });
    if (option.tooltip && !option.tooltip.valueFormatter) option.tooltip.valueFormatter = number;
    return option;
  }

  // ECharts (1 MB) is fetched only by pages that draw a chart, from beside this script.
  var echartsLoading = null;
  function withECharts(then) {
    if (window.echarts) return then();
    if (!echartsLoading) {
      echartsLoading = [];
      var script = document.createElement("script");
      var self = document.querySelector('script[src$="/app.js"]');
      script.src = self.src.replace(/app\.js$/, "echarts.min.js");
      script.onload = function () { echartsLoading.forEach(function (f) { f(); }); };
      document.head.appendChild(script);
    }
    echartsLoading.push(then);
  }

  function savePng(chart, el) {
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = el.clientWidth * 2;
      canvas.height = el.clientHeight * 2;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      var link = document.createElement("a");
      link.download = (document.title.split(" · ")[0] || "chart").trim().toLowerCase()
        .replace(/[^a-z0-9]+/g, "-") + ".png";
      link.href = canvas.toDataURL("image/png");
      document.body.appendChild(link);
      link.click();
      link.remove();
    };
    image.src = chart.getDataURL({ type: "svg" });
  }

  function initCharts(root) {
    if (!root.querySelector("[data-chart]")) return;
    withECharts(function () { drawCharts(root); });
  }

  function drawCharts(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      var option = JSON.parse(el.dataset.chart);
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(localise(option));
      // Every chart saves as a PNG: a button above it, outside the drawing.
      var save = document.createElement("button");
      save.type = "button";
      save.className = "chart-save";
      save.textContent = document.body.dataset.savePng || "PNG";
      save.addEventListener("click", function () { savePng(chart, el); });
      el.parentNode.insertBefore(save, el);
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
    // A saved view is the page as it is now: its path and its whole query string.
    if (e.detail.elt && e.detail.elt.classList && e.detail.elt.classList.contains("save-view")) {
      e.detail.parameters.path = window.location.pathname;
      e.detail.parameters.query = window.location.search.replace(/^\?/, "");
    }
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

  var source = null;
  function listen() {
    if (!window.EventSource || !document.body.dataset.live || source) return;
    source = new EventSource("/events");
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

  // The alert form shows only the fields of the chosen condition (all show without JS).
  function alertFields(root) {
    var form = root.querySelector && root.querySelector("#alert-form");
    if (!form) return;
    var type = form.querySelector("[data-alert-type]");
    function show() {
      form.querySelectorAll("[data-for]").forEach(function (el) {
        el.hidden = el.dataset.for.split(" ").indexOf(type.value) < 0;
      });
    }
    type.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCharts(document);
    alertFields(document);
    listen();
  });
  // A page left for another keeps no stream open: a browser holds at most six
  // connections to one server, and pages kept for the back button would use them up.
  window.addEventListener("pagehide", function () {
    if (source) { source.close(); source = null; }
  });
  window.addEventListener("pageshow", function (e) { if (e.persisted) listen(); });
  document.addEventListener("htmx:afterSettle", function (e) {
    initCharts(e.target);
    alertFields(document);
  });
})();
