// A second set of service families for bench/early-warning-unseen.mjs (`--families fresh`), written
// on 2026-12-05 after the model, its guard rails and their constants were settled, and used for
// nothing but this report: shapes neither the training generator (src/sim/generator/) nor the
// first unseen set (unseen-families.mjs) makes. Same two kinds and the same service model as there.
import { NORMAL, at, between, withConnections } from './unseen-families.mjs';

/** `count` shares summing to 1, drawn uniformly (sorted uniform cuts). */
function shares(random, count) {
  const cuts = Array.from({ length: count - 1 }, () => random()).sort((a, b) => a - b);
  return [...cuts, 1].map((cut, k) => cut - (k === 0 ? 0 : cuts[k - 1]));
}

/** At most this many calls a second in any family, so a run stays minutes, not hours. */
const MAX_RATE = 1000;

export const FRESH_INSTANT_FAMILIES = [
  {
    // A sharded store losing shards one after another: the failing share climbs in uneven steps.
    name: 'tenants-fall',
    healthy: false,
    draw: (random) => {
      const onset = between(random, 20, 70);
      const steps = [];
      let from = onset;
      let failing = 0;
      for (const share of shares(random, 2 + Math.floor(random() * 5))) {
        steps.push({ from, failing: (failing += share) });
        from += between(random, 5, 30);
      }
      return (t) => steps.findLast((step) => t >= step.from)?.failing ?? 0.003;
    },
  },
  {
    // A name server that flaps: whole outages of one length at one period, some long enough to trip a window, some not.
    name: 'flapping',
    healthy: false,
    draw: (random) => {
      const onset = between(random, 20, 60);
      const downS = between(random, 1, 8);
      const upS = between(random, 4, 25);
      return (t) => (t >= onset && (t - onset) % (downS + upS) < downS ? 1 : 0.002);
    },
  },
  {
    // Healthy, with single seconds where a third to 60% of calls fail (a restart behind the load balancer, a cache flush).
    name: 'blips',
    healthy: true,
    draw: (random) => {
      const every = between(random, 8, 40);
      const level = between(random, 0.3, 0.6);
      const phase = between(random, 0, every);
      return (t) => ((t + phase) % every < 1 ? level : 0.003);
    },
  },
].map((family) => ({ ...family, kind: 'instant' }));

export const FRESH_TIMED_FAMILIES = [
  {
    // A short outage, then every client retrying: demand multiplies past the connections, the queue grows, calls time out.
    name: 'retry-storm',
    healthy: false,
    service: (service, random) => withConnections(service, random, 2 + Math.floor(random() * 14), 3, 5),
    draw: (random, service) => {
      const onset = between(random, 20, 70);
      const outageS = between(random, 2, 6);
      const storm = Math.min(between(random, 4, 10), MAX_RATE / service.callsPerSecond);
      const decayS = between(random, 20, 120);
      return (t) => {
        if (t < onset) return NORMAL;
        if (t < onset + outageS) return at({ errors: 1 });
        return at({ rate: 1 + (storm - 1) * Math.exp(-(t - onset - outageS) / decayS) });
      };
    },
  },
  {
    // A memory leak: latency creeps, collector pauses come oftener and last longer, then the process dies.
    name: 'leak-then-crash',
    healthy: false,
    draw: (random, service) => {
      const onset = between(random, 10, 40);
      const crashAt = onset + between(random, 40, 130);
      return (t) => {
        if (t < onset) return NORMAL;
        if (t >= crashAt) return at({ errors: 1 });
        const progress = (t - onset) / (crashAt - onset);
        const every = 20 - 17 * progress;
        const pauseS = (service.timeoutMs / 1000) * (0.1 + 1.2 * progress);
        return at({ slow: 1 + 2 * progress, pausedUntilS: Math.floor(t / every) * every + pauseS });
      };
    },
  },
  {
    // A bad release rolled out replica by replica: each step sends another share of calls to a version that fails most of them.
    name: 'bad-rollout',
    healthy: false,
    draw: (random) => {
      const onset = between(random, 20, 60);
      const replicas = 2 + Math.floor(random() * 7);
      const stepS = between(random, 8, 40);
      const failing = between(random, 0.6, 1);
      return (t) =>
        t < onset ? NORMAL : at({ errors: failing * Math.min(1, (1 + Math.floor((t - onset) / stepS)) / replicas) });
    },
  },
  {
    // A service that starts cold: slower and a little erratic for its first tens of seconds (caches, JIT, pools), then normal.
    name: 'cold-start',
    healthy: true,
    draw: (random) => {
      const factor = between(random, 2, 4);
      const warmS = between(random, 10, 40);
      const errors = between(random, 0.01, 0.08);
      return (t) =>
        at({ slow: 1 + (factor - 1) * Math.exp(-t / warmS), errors: 0.002 + errors * Math.exp(-t / warmS) });
    },
  },
  {
    // Batch jobs: every half minute to two minutes demand jumps 5-20 fold for seconds; the service has room for it.
    name: 'batch-bursts',
    healthy: true,
    draw: (random, service) => {
      const every = between(random, 30, 100);
      const lengthS = between(random, 3, 15);
      const factor = Math.min(between(random, 5, 20), MAX_RATE / service.callsPerSecond);
      const phase = between(random, 0, every);
      return (t) => at({ rate: (t + phase) % every < lengthS ? factor : 1 });
    },
  },
  {
    // A heavy tail: a few percent of calls (big payloads, cold keys) take several times the median, inside the timeout.
    name: 'heavy-tail',
    healthy: true,
    service: (service, random) => ({
      ...service,
      timeoutMs: Math.max(20, Math.round(service.medianMs * between(random, 10, 20))),
    }),
    draw: (random, service) => {
      const share = between(random, 0.02, 0.1);
      const tailMs = service.medianMs * between(random, 3, 8);
      return () => at({ slowShare: share, slowMs: tailMs });
    },
  },
  {
    // Traffic moved to or away from this region for good: the call rate steps up or down, latency rises a little under more load.
    name: 'load-shift',
    healthy: true,
    draw: (random, service) => {
      const from = between(random, 30, 120);
      const up = random() < 0.5;
      const factor = up
        ? Math.min(between(random, 2, 5), MAX_RATE / service.callsPerSecond)
        : between(random, 0.15, 0.5);
      const slower = up ? between(random, 1.1, 1.6) : 1;
      return (t) => (t < from ? NORMAL : at({ rate: factor, slow: slower }));
    },
  },
].map((family) => ({ ...family, kind: 'timed' }));
