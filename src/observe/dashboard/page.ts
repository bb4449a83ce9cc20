/**
 * The dashboard page. It holds no data: the script fills it from the JSON API and the event
 * stream with textContent, so nothing a breaker is named can become markup. Every URL is relative,
 * so the page works wherever the handler is mounted (e.g. under /ops in Express).
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>breakwater: circuit breakers</title>
<link rel="stylesheet" href="circuit-breakers/assets/dashboard.css">
<script src="circuit-breakers/assets/chart.umd.min.js" defer></script>
<script src="circuit-breakers/assets/dashboard.js" defer></script>
</head>
<body>
<header><h1>Circuit breakers</h1><span id="live" class="live">connecting…</span><span id="updated" class="live"></span></header>
<main>
  <section class="cards">
    <div class="card"><h2>Healthy breakers</h2><div class="chart"><canvas id="health-gauge" aria-label="share of healthy breakers"></canvas></div>
      <div id="health-value" class="gauge-value">–</div><div id="health-note" class="gauge-note"></div><div id="health-weighted" class="gauge-note"></div></div>
    <div class="card"><h2>States</h2><div class="chart"><canvas id="state-chart" aria-label="circuits by state"></canvas></div></div>
    <div class="card"><h2>Failure rate by kind</h2><div class="chart"><canvas id="kind-chart" aria-label="failure rate by kind"></canvas></div></div>
  </section>
  <section class="card">
    <h2>Breakers</h2>
    <div class="filters">
      <label>Kind <select id="filter-kind"><option value="">all</option></select></label>
      <label>State <select id="filter-state"><option value="">all</option><option>closed</option><option>open</option><option>half-open</option><option>forced-open</option><option>disabled</option></select></label>
      <label>Search <input id="filter-search" type="search" placeholder="name contains"></label>
      <label>Rows <select id="page-size"><option>25</option><option selected>50</option><option>100</option><option>250</option></select></label>
      <span id="controls" class="controls hidden"><label>Control token <input id="token" type="password" autocomplete="off"></label></span>
    </div>
    <div id="status" role="status"></div>
    <div class="table-scroll"><table id="breakers">
      <thead><tr>
        <th data-sort="kind" class="sortable">Kind</th><th data-sort="name" class="sortable">Name</th><th data-sort="state" class="sortable">State</th>
        <th data-sort="healthPercentage" class="sortable">Health</th><th data-sort="failureRate" class="sortable">Failure rate</th><th>Slow rate</th>
        <th data-sort="totalCalls" class="sortable">Calls</th><th>Rejections</th><th>p99 ms</th><th>Thresholds</th><th>Recovery ms</th>
        <th data-sort="probability" class="sortable">Trip probability</th><th class="actions-head hidden">Actions</th>
      </tr></thead>
      <tbody></tbody>
    </table></div>
    <div class="pager"><button id="prev" type="button">Previous</button><span id="page-info"></span><button id="next" type="button">Next</button></div>
  </section>
  <section class="cards">
    <div class="card"><h2>Transitions over time</h2><div class="chart wide"><canvas id="transition-chart" aria-label="transitions over time"></canvas></div></div>
    <div class="card"><h2>Parameter optimisation (tuning)</h2><div class="chart wide"><canvas id="tuning-chart" aria-label="thresholds and timeouts over time"></canvas></div>
      <ol id="tuning-list" class="tuning" reversed></ol></div>
  </section>
</main>
</body>
</html>
`;
