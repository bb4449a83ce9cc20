// Helpers the unit checks share: one call through a slot, transitions compared field by field,
// exact percentiles to hold the histogram's estimates to.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "check.h"
#include "core/breaker_slot.h"
#include "core/histogram.h"
#include "test_arena.h"

namespace breakwater::test {

constexpr int64_t kSecondUs = 1000000;

inline bool isTransition(const Transition& t, State from, State to, Reason reason, uint32_t generation) {
  return t.happened && t.from == from && t.to == to && t.reason == reason &&
         t.newGeneration == generation;
}

// Admits and records one call.
inline Transition call(BreakerSlot& slot, Outcome outcome, int64_t latencyUs = -1) {
  const AdmitResult admitted = slot.admit();
  return slot.record(admitted.generation, outcome, 1, latencyUs);
}

inline double exactPercentile(std::vector<uint64_t> samples, double q) {
  std::sort(samples.begin(), samples.end());
  const auto rank = std::max<size_t>(1, size_t(std::ceil(q * double(samples.size()))));
  return double(samples[rank - 1]);
}

// `count` samples in one bin, added the way a window read adds a bucket's group of bins.
inline void addSamples(LatencyHistogram& histogram, uint32_t bin, uint64_t count) {
  histogram.addBins(bin, bin + 1, [&](uint32_t) { return uint32_t(count); });
}

// The estimate is the midpoint of the bin holding the exact percentile, so it is off by at most
// half a bin: +12.5% for a value at the bottom of a [4, 5) * 2^k bin, -10% at the top.
inline void checkPercentilesNearExact(const std::vector<uint64_t>& samples, const char* distribution) {
  LatencyHistogram histogram;
  for (uint64_t v : samples) addSamples(histogram, binIndex(v), 1);
  for (double q : {0.5, 0.9, 0.99}) {
    const double exact = exactPercentile(samples, q);
    const double estimate = histogram.percentile(q);
    const uint32_t bin = binIndex(uint64_t(exact));
    const bool ok = CHECK(estimate == double(binLow(bin) + binHigh(bin)) / 2) &&
                    CHECK(estimate <= exact * 1.125 && estimate >= exact * 0.9);
    if (!ok) {
      std::fprintf(stderr, "  %s q=%.2f estimate %.1f exact %.1f\n", distribution, q, estimate,
                   exact);
    }
  }
}

// The checks of each file, run by unit.cc's main.
void windowChecks();
void stateChecks();

}  // namespace breakwater::test
