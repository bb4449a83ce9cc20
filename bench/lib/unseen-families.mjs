// Service families for bench/early-warning-unseen.mjs, written here apart from the generator the
// model trains on (src/sim/generator/): their own shapes, their own service model, their own
// draws. Two kinds:
// - instant: calls that return at once; only the share of failures moves (failure evidence alone).
// - timed: calls that take time on the ManualClock through `execute()` with a timeout, against a
//   service with a latency distribution, a connection limit and a queue, so latency, timeouts and
//   in-flight calls move too (trouble that shows in latency first, and healthy services whose
//   latency alone looks like trouble).

/** Draws take `random`, a function giving numbers in [0, 1) (unseen-runs.mjs: breakwater's SeededRandom). */
export const between = (random, low, high) => low + (high - low) * random();
export const logBetween = (random, low, high) => Math.exp(between(random, Math.log(low), Math.log(high)));
export const pick = (random, values) => values[Math.floor(random() * values.length)];
/** A standard normal draw (Box-Muller). */
const normal = (random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Instant families: each draws the share of calls failing at second t of a run. */
export const INSTANT_FAMILIES = [
  {
    name: 'linear-ramp',
    healthy: false,
    draw: (random) => {
      const start = between(random, 20, 60);
      const span = between(random, 15, 120);
      return (t) => Math.min(1, Math.max(0, (t - start) / span));
    },
  },
  {
    name: 'step-to-partial',
    healthy: false,
    draw: (random) => {
      const start = between(random, 20, 80);
      const length = between(random, 10, 60);
      const level = between(random, 0.2, 0.95);
      return (t) => (t >= start && t < start + length ? level : 0.005);
    },
  },
  {
    name: 'sawtooth',
    healthy: false,
    draw: (random) => {
      const period = between(random, 10, 60);
      const peak = between(random, 0.2, 0.9);
      return (t) => (t < 30 ? 0 : peak * (((t - 30) % period) / period));
    },
  },
  {
    name: 'healthy-noise',
    healthy: true,
    draw: (random) => {
      const level = between(random, 0, 0.05);
      return () => level;
    },
  },
].map((family) => ({ ...family, kind: 'instant' }));

/**
 * What a timed service does at second t: `rate` multiplies its call rate, `slow` multiplies its
 * latency, `slowShare` of calls take `slowMs` instead, `errors` fail, and while `pausedUntilS` is
 * ahead nothing it serves completes (a stop-the-world pause).
 */
export const NORMAL = Object.freeze({ rate: 1, slow: 1, slowShare: 0, slowMs: 0, errors: 0.002, pausedUntilS: 0 });
export const at = (changes) => ({ ...NORMAL, ...changes });

/** Timed families: `draw(random, service)` gives the condition at time t in seconds (service: the run's traits). */
export const TIMED_FAMILIES = [
  {
    // A dependency slowing down by a constant factor a second until calls pass the timeout.
    name: 'latency-creep',
    healthy: false,
    draw: (random) => {
      const onset = between(random, 20, 80);
      const doublingS = between(random, 4, 40);
      return (t) => (t < onset ? NORMAL : at({ slow: Math.min(64, 2 ** ((t - onset) / doublingS)) }));
    },
  },
  {
    // A growing share of calls stuck past the timeout (a sick replica taking more of the traffic).
    name: 'brownout',
    healthy: false,
    draw: (random, service) => {
      const onset = between(random, 20, 80);
      const rampS = between(random, 15, 90);
      const peak = between(random, 0.6, 1);
      const stuckMs = service.timeoutMs * between(random, 1.5, 4);
      return (t) => at({ slowShare: peak * Math.min(1, Math.max(0, (t - onset) / rampS)), slowMs: stuckMs });
    },
  },
  {
    // Demand climbs past what the service's connections can serve: the queue, then timeouts.
    name: 'overload-queue',
    healthy: false,
    // A few connections busy half the time or less at first: demand past 2-2.5 times the start saturates them.
    service: (service, random) => withConnections(service, random, 1 + Math.floor(random() * 16), 2, 2.5),
    draw: (random) => {
      const onset = between(random, 20, 80);
      const rampS = between(random, 10, 60);
      const peak = between(random, 3, 6);
      return (t) => at({ rate: 1 + (peak - 1) * Math.min(1, Math.max(0, (t - onset) / rampS)) });
    },
  },
  {
    // Error bursts that come back longer each time until the service stays down.
    name: 'escalating-bursts',
    healthy: false,
    draw: (random) => {
      const onset = between(random, 20, 60);
      const gapS = between(random, 8, 25);
      const firstS = between(random, 1, 3);
      const level = between(random, 0.5, 1);
      return (t) => {
        if (t < onset) return NORMAL;
        let start = onset;
        for (let burst = 0; burst < 8; burst++) {
          const length = firstS * 1.8 ** burst;
          if (t < start + length) return at({ errors: level });
          start += length + gapS;
          if (t < start) return NORMAL;
        }
        return at({ errors: level });
      };
    },
  },
  {
    // Healthy, with stop-the-world pauses shorter than the timeout (a garbage collector, a VM migration).
    name: 'stop-the-world',
    healthy: true,
    draw: (random, service) => {
      const everyS = between(random, 4, 30);
      const pauseS = (service.timeoutMs * between(random, 0.2, 0.7)) / 1000;
      const phase = between(random, 0, everyS);
      return (t) => at({ pausedUntilS: Math.floor((t + phase) / everyS) * everyS - phase + pauseS });
    },
  },
  {
    // Healthy and slow: a median of 150-800 ms at tens of calls a second.
    name: 'slow-steady',
    healthy: true,
    service: (service, random) => {
      const medianMs = between(random, 150, 800);
      return {
        ...service,
        medianMs,
        callsPerSecond: between(random, 10, 80),
        timeoutMs: Math.round(medianMs * between(random, 3, 6)),
      };
    },
    draw: () => () => NORMAL,
  },
  {
    // Healthy, with demand swinging tenfold (a daily cycle sped up, a batch job).
    name: 'rate-swing',
    healthy: true,
    draw: (random) => {
      const periodS = between(random, 20, 120);
      return (t) => at({ rate: 0.1 + 0.9 * (0.5 + 0.5 * Math.sin((2 * Math.PI * t) / periodS)) });
    },
  },
  {
    // Failing often but below the threshold: a share wandering between 2% and 30%.
    name: 'noisy-below',
    healthy: true,
    draw: (random) => {
      const steps = Array.from({ length: 200 }, () => between(random, -0.04, 0.04));
      const shares = [];
      let share = between(random, 0.05, 0.2);
      for (const step of steps) shares.push((share = Math.min(0.3, Math.max(0.02, share + step))));
      return (t) => at({ errors: shares[Math.min(shares.length - 1, Math.floor(t))] });
    },
  },
].map((family) => ({ ...family, kind: 'timed' }));

/**
 * `service` behind `connections` connections, each busy 1/headroom of the time at first (headroom
 * drawn in [low, high]: demand past headroom times the start saturates them), and its users'
 * timeout of 4-15 times the new median.
 */
export function withConnections(service, random, connections, low, high) {
  const medianMs = (connections * 1000) / (service.callsPerSecond * between(random, low, high));
  return { ...service, connections, medianMs, timeoutMs: Math.max(20, Math.round(medianMs * between(random, 4, 15))) };
}

/** A timed run's service: its rate, latency, spread and the timeout its users set. */
export function drawService(random) {
  const medianMs = logBetween(random, 2, 400);
  return {
    callsPerSecond: logBetween(random, 5, 200),
    medianMs,
    spread: between(random, 0.15, 0.7),
    timeoutMs: Math.max(20, Math.round(medianMs * between(random, 4, 15))),
    connections: 0,
  };
}

/**
 * Plays a timed service on `clock`: calls arrive at random (Poisson) through `execute()`, wait for
 * a connection when all are busy, take their latency and fail as the condition says. A call's
 * dice are cast when it arrives, sent or refused, so two runs of a seed under different breakers
 * give the n-th call the same fate. Returns `{ second(t), outcome }`: second(t) schedules second
 * t's arrivals; outcome counts arrivals and the calls that succeeded.
 */
export function timedService(breaker, clock, service, condition, random) {
  const outcome = { arrivals: 0, successes: 0 };
  let busy = 0;
  const waiting = [];
  const serve = (job) => {
    busy++;
    const now = clock.now() / 1000;
    const state = condition(now);
    const own =
      job.fate.slow < state.slowShare
        ? state.slowMs
        : service.medianMs * state.slow * Math.exp(service.spread * job.fate.spread);
    const pausedMs = Math.max(0, (state.pausedUntilS - now) * 1000);
    const fails = job.fate.fails < state.errors;
    clock.setTimeout(() => {
      busy--;
      if (waiting.length > 0) serve(waiting.shift());
      if (fails) job.reject(new Error('down'));
      else job.resolve(1);
    }, pausedMs + own);
  };
  // Returns nothing: the clock awaits what a timer returns, and a call settles on a later timer.
  const call = (fate) => {
    outcome.arrivals++;
    breaker
      .execute(
        () =>
          new Promise((resolve, reject) => {
            const job = { resolve, reject, fate };
            if (service.connections === 0 || busy < service.connections) serve(job);
            else waiting.push(job);
          }),
      )
      .then(
        () => outcome.successes++,
        () => {}, // a failure, a timeout or a refusal: the breaker counted it
      );
  };
  const second = (t) => {
    const rate = service.callsPerSecond * condition(t).rate;
    let offset = -Math.log(1 - random()) / rate;
    while (offset < 1) {
      const fate = { slow: random(), spread: normal(random), fails: random() };
      clock.setTimeout(() => call(fate), offset * 1000);
      offset += -Math.log(1 - random()) / rate;
    }
  };
  return { second, outcome };
}
