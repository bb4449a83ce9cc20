export { createDashboardHandler } from './handler';
export type { DashboardHandler, DashboardOptions, DashboardRegistry, NextFunction } from './handler';
export { startDashboard, DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT } from './server';
export type { RunningDashboard, StartDashboardOptions } from './server';
export type { ControlAction, ControlsOption } from './controls';
export type { Overview } from './overview';
export type { AllowedHosts } from './host-check';
