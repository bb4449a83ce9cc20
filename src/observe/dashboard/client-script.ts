/**
 * The page's script, served as /circuit-breakers/assets/dashboard.js. It is plain browser
 * JavaScript kept as a string so the bundle carries it (no file to copy beside dist/). Every value
 * from the server reaches the DOM through textContent or a form control's value, never as markup.
 */
export const CLIENT_SCRIPT = String.raw`'use strict';
(function () {
  var STATES = ['closed', 'open', 'half-open', 'forced-open', 'disabled'];
  var STATE_COLORS = { closed: '#1b8a3a', open: '#c62828', 'half-open': '#e08a00', 'forced-open': '#7f1d1d', disabled: '#6b7280' };
  var SERIES_COLORS = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2'];
  var KEPT_EVENTS = 2000;
  var view = { kind: '', state: '', search: '', sort: 'name', order: 'asc', offset: 0, limit: 50 };
  var total = 0;
  var controlsEnabled = false;
  var transitions = [];
  var tuning = [];
  var charts = {};
  var refreshing = false;
  var refreshAgain = false;
  var $ = function (id) { return document.getElementById(id); };

  function cell(text, className) {
    var td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }
  function percent(ratio) { return (ratio * 100).toFixed(1) + '%'; }
  function number(value) { return value === null || value === undefined ? '–' : String(Math.round(value * 100) / 100); }
  function clock(ms) { return new Date(ms).toLocaleTimeString([], { hour12: false }); }
  function stateClass(state) { return STATES.indexOf(state) >= 0 ? 'state state-' + state : 'state'; }
  function setStatus(text, isError) {
    var status = $('status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }
  function getJson(url) {
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || 'HTTP ' + response.status);
        return body;
      });
    });
  }

  // --- charts (chart.js, served by the dashboard from node_modules) ---------------------------
  var hasCharts = typeof Chart !== 'undefined';
  if (hasCharts) {
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    charts.gauge = new Chart($('health-gauge'), {
      type: 'doughnut',
      data: { labels: ['healthy', 'unhealthy'], datasets: [{ data: [100, 0], backgroundColor: ['#1b8a3a', '#e5e7eb'], borderWidth: 0 }] },
      options: { rotation: -90, circumference: 180, cutout: '72%', plugins: { legend: { display: false }, tooltip: { enabled: false } } },
    });
    charts.states = new Chart($('state-chart'), {
      type: 'bar',
      data: { labels: STATES, datasets: [{ label: 'circuits', data: [0, 0, 0, 0, 0], backgroundColor: STATES.map(function (s) { return STATE_COLORS[s]; }) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    charts.kinds = new Chart($('kind-chart'), {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'failure rate %', data: [], backgroundColor: '#c62828' }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, suggestedMax: 10, title: { display: true, text: '%' } } } },
    });
    charts.transitions = new Chart($('transition-chart'), {
      type: 'bar',
      data: { labels: [], datasets: STATES.map(function (s) { return { label: 'to ' + s, data: [], backgroundColor: STATE_COLORS[s] }; }) },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });
    charts.tuning = new Chart($('tuning-chart'), {
      type: 'line',
      data: { datasets: [] },
      options: {
        parsing: false,
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, font: { size: 10 } } } },
        scales: {
          x: { type: 'linear', ticks: { maxTicksLimit: 8, callback: function (value) { return clock(value); } } },
          percent: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'threshold %' } },
          ms: { type: 'linear', position: 'right', beginAtZero: true, title: { display: true, text: 'recovery ms' }, grid: { drawOnChartArea: false } },
        },
      },
    });
  } else {
    setStatus('charts unavailable: chart.js did not load', true);
  }

  function drawOverview(overview) {
    var aggregate = overview.aggregate;
    // The gauge is the share of breakers letting calls through: one open breaker in two is 50%,
    // whatever its traffic. Traffic-weighted health is shown beside it, labelled as such.
    var healthy = overview.healthyBreakers;
    var health = healthy.percentage;
    $('health-value').textContent = health.toFixed(1) + '%';
    $('health-value').dataset.level = health >= 99.95 ? 'good' : health >= 75 ? 'warn' : 'bad';
    $('health-note').textContent = healthy.healthy + ' of ' + healthy.total + ' breakers healthy (closed)';
    $('health-weighted').textContent = 'traffic-weighted health ' + aggregate.overallHealth.toFixed(1) + '%';
    $('updated').textContent = 'updated ' + clock(overview.generatedAt);
    var kinds = Object.keys(aggregate.byKind).sort();
    var select = $('filter-kind');
    var known = Array.prototype.map.call(select.options, function (option) { return option.value; });
    kinds.forEach(function (kind) {
      if (known.indexOf(kind) >= 0) return;
      var option = document.createElement('option');
      option.value = kind;
      option.textContent = kind;
      select.appendChild(option);
    });
    if (!hasCharts) return;
    charts.gauge.data.datasets[0].data = [health, 100 - health];
    charts.gauge.data.datasets[0].backgroundColor[0] = { good: '#1b8a3a', warn: '#e08a00', bad: '#c62828' }[$('health-value').dataset.level];
    charts.gauge.update();
    charts.states.data.datasets[0].data = [aggregate.closed, aggregate.open, aggregate.halfOpen, aggregate.forcedOpen, aggregate.disabled];
    charts.states.update();
    charts.kinds.data.labels = kinds;
    charts.kinds.data.datasets[0].data = kinds.map(function (kind) { return (overview.failureRateByKind[kind] || 0) * 100; });
    charts.kinds.update();
  }

  function drawTransitions() {
    if (!hasCharts) return;
    var chart = charts.transitions;
    if (transitions.length === 0) {
      chart.data.labels = [];
      chart.data.datasets.forEach(function (dataset) { dataset.data = []; });
      return chart.update();
    }
    var first = transitions[0].timestamp;
    var last = transitions[transitions.length - 1].timestamp;
    var bucket = Math.max(1000, Math.ceil((last - first + 1) / 30 / 1000) * 1000);
    var start = Math.floor(first / bucket) * bucket;
    var count = Math.floor((last - start) / bucket) + 1;
    chart.data.labels = [];
    for (var i = 0; i < count; i++) chart.data.labels.push(clock(start + i * bucket));
    chart.data.datasets.forEach(function (dataset, s) {
      dataset.data = new Array(count).fill(0);
      transitions.forEach(function (event) {
        if (event.state === STATES[s]) dataset.data[Math.floor((event.timestamp - start) / bucket)]++;
      });
    });
    chart.update();
  }

  function describeTuning(event) {
    var changed = (event.detail && event.detail.changed) || {};
    var parts = Object.keys(changed).map(function (key) {
      var change = changed[key] || {};
      return key + ' ' + JSON.stringify(change.before) + ' → ' + JSON.stringify(change.after);
    });
    return clock(event.timestamp) + ' ' + event.kind + '/' + event.breaker + ': ' + (parts.length ? parts.join(', ') : 'retuned');
  }

  function drawTuning() {
    var list = $('tuning-list');
    list.replaceChildren.apply(list, tuning.slice(-10).reverse().map(function (event) {
      var item = document.createElement('li');
      item.textContent = describeTuning(event);
      return item;
    }));
    if (!hasCharts) return;
    // One line per breaker and parameter, for the six breakers tuned most recently.
    var keys = [];
    for (var i = tuning.length - 1; i >= 0 && keys.length < 6; i--) {
      var key = tuning[i].kind + '/' + tuning[i].breaker;
      if (keys.indexOf(key) < 0) keys.push(key);
    }
    var datasets = [];
    keys.forEach(function (key, k) {
      var events = tuning.filter(function (event) { return event.kind + '/' + event.breaker === key; });
      var color = SERIES_COLORS[k % SERIES_COLORS.length];
      datasets.push({ label: key + ' failureRateThreshold', yAxisID: 'percent', borderColor: color, backgroundColor: color, stepped: true,
        data: events.map(function (event) { return { x: event.timestamp, y: event.thresholds.failureRateThreshold }; }) });
      datasets.push({ label: key + ' recoveryTimeout', yAxisID: 'ms', borderColor: color, backgroundColor: color, borderDash: [6, 4], stepped: true,
        data: events.map(function (event) { return { x: event.timestamp, y: event.timeouts.recoveryTimeout }; }) });
    });
    charts.tuning.data.datasets = datasets;
    // A single moment (or none) gets a minute around it, so the time axis stays readable.
    var times = tuning.map(function (event) { return event.timestamp; });
    var first = times.length ? Math.min.apply(null, times) : Date.now();
    var last = times.length ? Math.max.apply(null, times) : first;
    var pad = Math.max(30000, (last - first) * 0.05);
    charts.tuning.options.scales.x.min = first - pad;
    charts.tuning.options.scales.x.max = last + pad;
    charts.tuning.update();
  }

  function remember(list, events) {
    Array.prototype.push.apply(list, events);
    if (list.length > KEPT_EVENTS) list.splice(0, list.length - KEPT_EVENTS);
  }

  // --- the table --------------------------------------------------------------------------------
  function control(row, action) {
    var token = $('token').value;
    var headers = token ? { Authorization: 'Bearer ' + token } : {};
    var url = 'api/circuit-breakers/' + encodeURIComponent(row.kind) + '/' + encodeURIComponent(row.name) + '/' + action;
    fetch(url, { method: 'POST', headers: headers }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) setStatus(action + ' ' + row.kind + '/' + row.name + ' refused (HTTP ' + response.status + '): ' + body.error, true);
        else setStatus(action + ' ' + row.kind + '/' + row.name + ': now ' + body.breaker.state, false);
        refresh();
      });
    }).catch(function (error) { setStatus(action + ' failed: ' + error.message, true); });
  }

  function drawRows(items) {
    var rows = items.map(function (row) {
      var tr = document.createElement('tr');
      tr.dataset.kind = row.kind;
      tr.dataset.name = row.name;
      var t = row.thresholds;
      tr.append(
        cell(row.kind), cell(row.name, 'name'), cell(row.state, stateClass(row.state)), cell(row.healthPercentage.toFixed(1) + '%', 'health'),
        cell(percent(row.failureRate), 'failure-rate'), cell(percent(row.slowCallRate)), cell(String(row.totalCalls), 'calls'), cell(String(row.rejections)),
        cell(number(row.latency.p99)), cell(t.failureThreshold + ' fails / ' + t.failureRateThreshold + '%'), cell(String(row.timeoutsMs.recoveryTimeout)),
        cell(row.probability === null ? '–' : percent(row.probability), 'probability'));
      if (controlsEnabled) {
        var actions = document.createElement('td');
        actions.className = 'actions';
        [['reset', 'Reset'], ['force-open', 'Force open'], ['close', 'Close']].forEach(function (pair) {
          var button = document.createElement('button');
          button.type = 'button';
          button.dataset.action = pair[0];
          button.textContent = pair[1];
          button.addEventListener('click', function () { control(row, pair[0]); });
          actions.appendChild(button);
        });
        tr.appendChild(actions);
      }
      return tr;
    });
    var body = $('breakers').tBodies[0];
    body.replaceChildren.apply(body, rows);
  }

  function drawTable(page) {
    total = page.total;
    controlsEnabled = page.controls;
    $('controls').classList.toggle('hidden', !controlsEnabled);
    document.querySelector('.actions-head').classList.toggle('hidden', !controlsEnabled);
    drawRows(page.items);
    var shown = page.items.length === 0 ? '0' : (page.offset + 1) + '–' + (page.offset + page.items.length);
    $('page-info').textContent = shown + ' of ' + page.total;
    $('prev').disabled = page.offset === 0;
    $('next').disabled = page.offset + page.items.length >= page.total;
    document.querySelectorAll('th[data-sort]').forEach(function (th) {
      th.classList.toggle('sorted-asc', th.dataset.sort === view.sort && view.order === 'asc');
      th.classList.toggle('sorted-desc', th.dataset.sort === view.sort && view.order === 'desc');
    });
    drawOverview(page);
    document.body.dataset.ready = 'true';
  }

  // One request at a time, so an older answer never overwrites a newer one.
  function refresh() {
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    var params = new URLSearchParams();
    Object.keys(view).forEach(function (key) { if (view[key] !== '') params.set(key, String(view[key])); });
    getJson('api/circuit-breakers?' + params.toString()).then(drawTable, function (error) { setStatus('could not load breakers: ' + error.message, true); })
      .then(function () {
        refreshing = false;
        if (refreshAgain) { refreshAgain = false; refresh(); }
      });
  }

  function changeView(change) {
    Object.keys(change).forEach(function (key) { view[key] = change[key]; });
    refresh();
  }

  document.querySelectorAll('th[data-sort]').forEach(function (th) {
    th.addEventListener('click', function () {
      var key = th.dataset.sort;
      var order = key === view.sort ? (view.order === 'asc' ? 'desc' : 'asc') : key === 'name' || key === 'kind' || key === 'healthPercentage' ? 'asc' : 'desc';
      changeView({ sort: key, order: order, offset: 0 });
    });
  });
  $('filter-kind').addEventListener('change', function (e) { changeView({ kind: e.target.value, offset: 0 }); });
  $('filter-state').addEventListener('change', function (e) { changeView({ state: e.target.value, offset: 0 }); });
  $('page-size').addEventListener('change', function (e) { changeView({ limit: Number(e.target.value), offset: 0 }); });
  var searchTimer;
  $('filter-search').addEventListener('input', function (e) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { changeView({ search: e.target.value, offset: 0 }); }, 250);
  });
  $('prev').addEventListener('click', function () { changeView({ offset: Math.max(0, view.offset - view.limit) }); });
  $('next').addEventListener('click', function () { if (view.offset + view.limit < total) changeView({ offset: view.offset + view.limit }); });
  view.limit = Number($('page-size').value);

  // --- history and live updates -----------------------------------------------------------------
  Promise.all([
    getJson('api/circuit-breakers/history?event_type=transition&limit=2000'),
    getJson('api/circuit-breakers/history?event_type=tuning&limit=500'),
  ]).then(function (answers) {
    remember(transitions, answers[0].events);
    remember(tuning, answers[1].events);
    drawTransitions();
    drawTuning();
  }, function (error) { setStatus('could not load the history: ' + error.message, true); });
  refresh();

  var live = $('live');
  // A refused stream (503: the dashboard serves its maximum of live pages) or a dropped one is not
  // retried by EventSource itself once closed: try again after a while.
  function connect() {
    var source = new EventSource('circuit-breakers/events');
    source.onopen = function () { live.textContent = 'live'; live.classList.add('connected'); };
    source.onerror = function () {
      live.classList.remove('connected');
      if (source.readyState !== EventSource.CLOSED) { live.textContent = 'reconnecting…'; return; }
      live.textContent = 'live updates unavailable; retrying in 10 s';
      setTimeout(connect, 10000);
    };
    source.addEventListener('overview', function (e) {
      drawOverview(JSON.parse(e.data));
      refresh();
    });
    source.addEventListener('breaker-events', function (e) {
      var events = JSON.parse(e.data).events;
      var newTransitions = events.filter(function (event) { return event.event_type === 'transition'; });
      var newTuning = events.filter(function (event) { return event.event_type === 'tuning'; });
      if (newTransitions.length) { remember(transitions, newTransitions); drawTransitions(); }
      if (newTuning.length) { remember(tuning, newTuning); drawTuning(); }
      refresh();
    });
  }
  connect();
})();
`;
