import { SeededRandom } from '../random';
import { RequestLog, SimClient } from './client';
import { Edge } from './edge';
import { mergeSeries, probeRounds, pushedOver, recoveryTime, successRate, type BucketSeries } from './measures';
import type { Policy } from './policy';
import type { RunResult } from './result';
import type { RunOptions } from './run-options';
import type { Scenario } from './scenario';
import { BUCKET_MS, playUntil, successTimeline } from './play';
import { SimService, type DependencySpec } from './service';
import { SimulationClock } from './simulation-clock';

/**
 * Runs a scenario under a policy on virtual time and measures it. Everything random comes from
 * `seed`, so a run replays exactly.
 */
export async function runScenario(scenario: Scenario, policy: Policy, options: RunOptions): Promise<RunResult> {
  const clock = new SimulationClock(0);
  const random = new SeededRandom(options.seed);
  const services = new Map<string, SimService>();
  const edges = new Map<string, Edge>();

  const edgeTo = (caller: string, serviceName: string, timeoutMs: number): Edge => {
    const name = `${caller}->${serviceName}`;
    let edge = edges.get(name);
    if (edge === undefined) {
      const target = services.get(serviceName);
      if (target === undefined)
        throw new TypeError(
          `breakwater/chaos: scenario "${scenario.name}": ${caller} calls unknown service "${serviceName}"`,
        );
      const context = { name, caller, service: serviceName, clock, timeoutMs, random: random.fork(`edge:${name}`) };
      edge = new Edge(context, policy.guard(context), target);
      edges.set(name, edge);
    }
    return edge;
  };

  for (const spec of scenario.services) {
    const call = (dependency: DependencySpec) =>
      edgeTo(spec.name, dependency.service, dependency.timeoutMs)
        .attempt()
        .then((outcome) => {
          if (outcome !== 'ok') throw new Error(outcome);
        });
    services.set(spec.name, new SimService(spec, clock, random.fork(`service:${spec.name}`), BUCKET_MS, call));
  }
  const logs: RequestLog[] = [];
  for (const spec of scenario.clients) {
    const log = new RequestLog(BUCKET_MS);
    logs.push(log);
    new SimClient(
      spec,
      edgeTo(spec.name, spec.target, spec.timeoutMs),
      clock,
      random.fork(`client:${spec.name}`),
      log,
      scenario.durationMs,
    ).start();
  }
  // Edges inside the graph appear on first use; make them now so every guard ticks from the start.
  for (const spec of scenario.services)
    for (const d of spec.dependencies ?? []) edgeTo(spec.name, d.service, d.timeoutMs);
  const guards = [...edges.values()].map((e) => e.guard).filter((g) => g.tick !== undefined);
  if (guards.length > 0) {
    const tick = () => {
      for (const guard of guards) guard.tick!(clock.now());
      if (clock.now() + BUCKET_MS < scenario.durationMs) clock.setTimeout(tick, BUCKET_MS);
    };
    clock.setTimeout(tick, BUCKET_MS);
  }

  await playUntil(clock, scenario.durationMs, options.onProgress);
  for (const service of services.values()) service.update();

  const series = mergeSeries(BUCKET_MS, logs);
  const result = measure(scenario, policy, options, series, services, edges);
  for (const edge of edges.values()) edge.guard.dispose();
  return result;
}

function measure(
  scenario: Scenario,
  policy: Policy,
  options: RunOptions,
  series: BucketSeries,
  services: Map<string, SimService>,
  edges: Map<string, Edge>,
): RunResult {
  const sick = services.get(scenario.sickService)!;
  const requests = series.requests.reduce((a, b) => a + b, 0);
  const successes = series.successes.reduce((a, b) => a + b, 0);
  const recoveries = sick.incidents.map((incident) => recoveryTime(series, incident.end));
  const recovered = recoveries.filter((r): r is number => r !== null);
  const allEdges = [...edges.values()];
  const rounds = probeRounds(allEdges.flatMap((e) => e.transitions));
  const cascaded = scenario.cascades
    ? [...services.values()].filter((s) => s !== sick && pushedOver(s.answered, s.failedAnswers)).map((s) => s.name)
    : [];
  const sum = (pick: (e: Edge) => number) => allEdges.reduce((total, e) => total + pick(e), 0);
  const watched = edges.get(scenario.watchedEdge);
  const states =
    watched?.guard.breaker === undefined
      ? []
      : [{ at: 0, state: 'closed' as const }, ...watched.transitions.map((t) => ({ at: t.at, state: t.to }))];
  return {
    scenario: scenario.name,
    policy: policy.name,
    seed: options.seed,
    size: options.size,
    durationMs: scenario.durationMs,
    metrics: {
      requests,
      successRate: successRate(requests, successes),
      recoveryTimeMs:
        recovered.length === recoveries.length && recoveries.length > 0
          ? recovered.reduce((a, b) => a + b, 0) / recovered.length
          : null,
      incidents: recoveries.length,
      recovered: recovered.length,
      recoverySuccessRate: rounds.rate,
      probeRounds: rounds.rounds,
      wastedCalls: sum((e) => e.failed),
      rejections: sum((e) => e.rejected),
      falseRejections: Math.round(sum((e) => e.falseRejections)),
      sickLoadPerSecond: sick.sickMs > 0 ? sick.sickArrivals / (sick.sickMs / 1000) : 0,
      sickUtilisation: sick.sickMs > 0 ? sick.sickBusyMs / sick.sickMs / sick.spec.capacity : 0,
      cascades: scenario.cascades ? cascaded.length : null,
      cascadesPrevented: null,
    },
    incidents: sick.incidents.map((i) => ({ ...i })),
    cascaded,
    timeline: successTimeline(series, scenario.durationMs),
    states,
  };
}
