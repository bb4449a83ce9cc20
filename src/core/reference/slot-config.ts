import { Config, Header, MAX_PERIOD_MS, Slot, WindowType } from '../layout';
import type { Views } from './slot';
import { clearWindow } from './window';

const u32 = (x: number): number => Math.min(0xffffffff, Math.max(0, Math.floor(x))) >>> 0;

/** native/core/slot_config.h: writes a slot's options from a config vector; a changed window starts empty. */
export function configureSlot(v: Views, base: number, config: Float64Array): void {
  const type = config[Config.windowType] === WindowType.count ? WindowType.count : WindowType.time;
  const buckets = Math.min(Math.max(1, Math.floor(config[Config.buckets])), v.u32[Header.maxBuckets >> 2]);
  const size = config[Config.windowSize];
  const span =
    type === WindowType.time
      ? Math.max(1, Math.round((size * 1000) / buckets))
      : Math.max(1, Math.ceil(size / buckets));
  const windowChanged =
    v.u32[(base + Slot.windowType) >> 2] !== type ||
    v.u32[(base + Slot.buckets) >> 2] !== buckets ||
    Number(Atomics.load(v.u64, (base + Slot.bucketSpan) >> 3)) !== span;
  Atomics.store(v.u32, (base + Slot.windowType) >> 2, type);
  Atomics.store(v.u32, (base + Slot.buckets) >> 2, buckets);
  Atomics.store(v.u64, (base + Slot.bucketSpan) >> 3, BigInt(span));
  Atomics.store(v.u32, (base + Slot.failureThreshold) >> 2, u32(config[Config.failureThreshold]));
  Atomics.store(v.u32, (base + Slot.minimumCalls) >> 2, u32(config[Config.minimumCalls]));
  v.f64[(base + Slot.failureRateThreshold) >> 3] = config[Config.failureRateThreshold];
  v.f64[(base + Slot.slowCallRateThreshold) >> 3] = config[Config.slowCallRateThreshold];
  Atomics.store(
    v.u64,
    (base + Slot.slowCallDurationUs) >> 3,
    BigInt(Math.max(0, Math.round(config[Config.slowCallDurationMs] * 1000))),
  );
  Atomics.store(v.u32, (base + Slot.recoveryTimeoutMs) >> 2, u32(config[Config.recoveryTimeoutMs]));
  Atomics.store(v.u32, (base + Slot.maxRecoveryTimeoutMs) >> 2, u32(config[Config.maxRecoveryTimeoutMs]));
  v.f64[(base + Slot.backoffFactor) >> 3] = config[Config.backoffFactor];
  v.f64[(base + Slot.jitter) >> 3] = config[Config.jitter];
  Atomics.store(
    v.u32,
    (base + Slot.halfOpenMaxCalls) >> 2,
    Math.min(0xffff, Math.max(1, u32(config[Config.halfOpenMaxCalls]))),
  );
  Atomics.store(
    v.u32,
    (base + Slot.halfOpenSuccessThreshold) >> 2,
    Math.min(0xffff, Math.max(1, u32(config[Config.halfOpenSuccessThreshold]))),
  );
  Atomics.store(v.u32, (base + Slot.halfOpenTimeoutMs) >> 2, u32(config[Config.halfOpenTimeoutMs]));
  Atomics.store(v.u32, (base + Slot.probeTimeoutMs) >> 2, Math.min(MAX_PERIOD_MS, u32(config[Config.probeTimeoutMs])));
  if (windowChanged) clearWindow(v, base);
}
