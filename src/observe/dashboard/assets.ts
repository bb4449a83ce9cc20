import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CLIENT_SCRIPT } from './client-script';
import { HttpError } from './respond';
import { STYLES } from './styles';

/** The charting library's npm package; its UMD build is served from node_modules, never a CDN. */
export const CHART_PACKAGE = 'chart.js';

/** A static file of the page. */
export interface Asset {
  contentType: string;
  body: string | Buffer;
}

let chartScript: Buffer | undefined;

/** chart.js's browser build, read from its installed package once. */
function loadChartScript(): Buffer {
  if (chartScript !== undefined) return chartScript;
  let entry: string;
  try {
    // The package's exports map offers only its main entry; the UMD build sits beside it in dist/.
    entry = createRequire(__filename).resolve(CHART_PACKAGE);
  } catch {
    throw new HttpError(
      500,
      `the dashboard's charts need the package ${CHART_PACKAGE}; install it with \`npm install ${CHART_PACKAGE}\``,
    );
  }
  chartScript = readFileSync(join(dirname(entry), 'chart.umd.min.js'));
  return chartScript;
}

const JS = 'text/javascript; charset=utf-8';

/** The asset under /circuit-breakers/assets/, or undefined for an unknown file. */
export function asset(file: string): Asset | undefined {
  if (file === 'dashboard.js') return { contentType: JS, body: CLIENT_SCRIPT };
  if (file === 'dashboard.css') return { contentType: 'text/css; charset=utf-8', body: STYLES };
  if (file === 'chart.umd.min.js') return { contentType: JS, body: loadChartScript() };
  return undefined;
}
