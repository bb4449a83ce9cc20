// How long a circuit stays OPEN: exponential backoff over consecutive reopens, capped, with a
// deterministic jitter derived from the generation so every core computes the same deadline.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "clock.h"

namespace breakwater {

struct Backoff {
  uint32_t recoveryTimeoutMs;
  uint32_t maxRecoveryTimeoutMs;
  double factor;
  double jitter;
};

// Uniform in [0, 1): the generation scrambled by the 32-bit golden-ratio multiplier.
constexpr double jitterUnit(uint32_t newGeneration) {
  return double(uint32_t(newGeneration * 0x9E3779B1u)) / 4294967296.0;
}

inline uint32_t openPeriodMs(const Backoff& backoff, uint32_t reopens, uint32_t newGeneration) {
  const double base =
      backoff.factor == 1
          ? double(backoff.recoveryTimeoutMs)
          : std::min(double(backoff.recoveryTimeoutMs) * std::pow(backoff.factor, double(reopens)),
                     double(backoff.maxRecoveryTimeoutMs));
  const double period = std::floor(base * (1 - backoff.jitter * jitterUnit(newGeneration)));
  // Clamping also turns a NaN from a garbage configuration into 0.
  return period > 0 ? uint32_t(std::min(period, double(kMaxPeriodMs))) : 0;
}

}  // namespace breakwater
