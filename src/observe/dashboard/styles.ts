/** The page's stylesheet, served as /circuit-breakers/assets/dashboard.css (the CSP allows no inline styles). */
export const STYLES = `
:root { --ok: #1b8a3a; --bad: #c62828; --warn: #e08a00; --off: #6b7280; --ink: #1f2937; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--ink); background: #f8fafc; }
header { display: flex; align-items: baseline; gap: 1rem; padding: 0.75rem 1.25rem; background: #0f172a; color: #f8fafc; }
header h1 { margin: 0; font-size: 1.2rem; }
header .live { font-size: 0.85rem; opacity: 0.8; }
header .live.connected::before { content: '\\25CF '; color: #4ade80; }
main { padding: 1rem 1.25rem; display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem; }
.card h2 { margin: 0 0 0.5rem; font-size: 0.95rem; font-weight: 600; }
.chart { position: relative; height: 220px; }
.chart.wide { height: 320px; }
.gauge-value { text-align: center; font-size: 1.6rem; font-weight: 700; margin-top: -3.5rem; }
.gauge-note { text-align: center; color: var(--off); font-size: 0.8rem; }
.gauge-value[data-level="good"] { color: #1b8a3a; }
.gauge-value[data-level="warn"] { color: #e08a00; }
.gauge-value[data-level="bad"] { color: #c62828; }
.filters { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin-bottom: 0.5rem; }
.filters input, .filters select, .controls input { padding: 0.25rem 0.4rem; }
table { width: 100%; border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.4rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
td.name { white-space: normal; overflow-wrap: anywhere; min-width: 14rem; max-width: 28rem; }
.table-scroll { overflow-x: auto; }
th.sortable { cursor: pointer; user-select: none; }
th.sorted-asc::after { content: ' \\25B2'; }
th.sorted-desc::after { content: ' \\25BC'; }
.state { font-weight: 600; }
.state-closed { color: var(--ok); }
.state-open, .state-forced-open { color: var(--bad); }
.state-half-open { color: var(--warn); }
.state-disabled { color: var(--off); }
.pager { display: flex; gap: 0.5rem; align-items: center; margin-top: 0.5rem; }
.controls { display: flex; gap: 0.5rem; align-items: center; }
.actions button { margin-right: 0.2rem; padding: 0.1rem 0.35rem; font-size: 12px; }
#status { min-height: 1.2rem; }
#status.error { color: var(--bad); }
.hidden { display: none; }
ol.tuning { margin: 0.5rem 0 0; padding-left: 2.25rem; max-height: 12rem; overflow: auto; font-size: 0.85rem; }
`;
