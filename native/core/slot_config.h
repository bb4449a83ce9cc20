// configure(f64[16]): the option values TypeScript validated, clamped to the field ranges and
// stored into the slot's config block.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "arena.h"
#include "atomic_ref.h"
#include "clock.h"
#include "layout.h"
#include "window.h"
#include "words.h"

namespace breakwater {

namespace config_detail {

// Clamps into [low, high]; NaN becomes `low`. Integral fields truncate toward zero.
inline double clampNumber(double value, double low, double high) {
  return value >= low ? (value <= high ? value : high) : low;
}

inline uint32_t clampU32(double value, uint32_t low, uint32_t high) {
  return uint32_t(clampNumber(value, low, high));
}

// Spans and durations stay within the integers a double (and JavaScript) represents exactly.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

inline uint64_t clampCount(double value, double low) {
  return uint64_t(clampNumber(value, low, kMaxExactInteger));
}

}  // namespace config_detail

inline void configure(SlotRef slot, const double (&values)[kConfigFieldCount]) {
  using namespace config_detail;
  SlotConfig& config = slot.header->config;

  const uint32_t windowType = clampU32(values[kConfigWindowType], 0, 1);
  const uint32_t buckets = clampU32(values[kConfigBuckets], 1, slot.maxBuckets);
  const double windowSize = clampNumber(values[kConfigWindowSize], 0, kMaxExactInteger);
  const uint64_t span = windowType == uint32_t(WindowType::Time)
                            ? clampCount(std::round(windowSize * 1000 / buckets), 1)
                            : clampCount(std::ceil(windowSize / buckets), 1);
  const bool windowChanged = relaxedLoad(config.windowType) != windowType ||
                             relaxedLoad(config.buckets) != buckets ||
                             relaxedLoad(config.bucketSpan) != span;

  relaxedStore(config.windowType, windowType);
  relaxedStore(config.buckets, buckets);
  relaxedStore(config.bucketSpan, span);
  relaxedStore(config.failureThreshold, clampU32(values[kConfigFailureThreshold], 0, UINT32_MAX));
  relaxedStore(config.minimumCalls, clampU32(values[kConfigMinimumCalls], 0, UINT32_MAX));
  relaxedStore(config.failureRateThreshold, clampNumber(values[kConfigFailureRateThreshold], 0, 1));
  relaxedStore(config.slowCallRateThreshold,
               clampNumber(values[kConfigSlowCallRateThreshold], 0, 1));
  relaxedStore(config.slowCallDurationUs,
               clampCount(std::round(clampNumber(values[kConfigSlowCallDurationMs], 0,
                                                 kMaxExactInteger / 1000) *
                                     1000),
                          0));
  relaxedStore(config.recoveryTimeoutMs,
               clampU32(values[kConfigRecoveryTimeoutMs], 0, kMaxPeriodMs));
  relaxedStore(config.maxRecoveryTimeoutMs,
               clampU32(values[kConfigMaxRecoveryTimeoutMs], 0, kMaxPeriodMs));
  relaxedStore(config.backoffFactor,
               clampNumber(values[kConfigBackoffFactor], 1, std::numeric_limits<double>::max()));
  relaxedStore(config.jitter, clampNumber(values[kConfigJitter], 0, 1));
  relaxedStore(config.halfOpenMaxCalls,
               clampU32(values[kConfigHalfOpenMaxCalls], 1, HalfOpenWord::kMaxCount));
  relaxedStore(config.halfOpenSuccessThreshold,
               clampU32(values[kConfigHalfOpenSuccessThreshold], 1, HalfOpenWord::kMaxCount));
  relaxedStore(config.halfOpenTimeoutMs,
               clampU32(values[kConfigHalfOpenTimeoutMs], 0, kMaxPeriodMs));
  relaxedStore(config.probeTimeoutMs, clampU32(values[kConfigProbeTimeoutMs], 0, kMaxPeriodMs));

  if (windowChanged) SlotWindow::clear(slot);
}

}  // namespace breakwater
