// Log-linear latency histogram: four bins per power of two, exact below 4 us, 104 bins.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "layout.h"

namespace breakwater {

constexpr uint32_t kLastBin = layout::kHistogramBins - 1;

// Bin of a measured latency in whole microseconds.
constexpr uint32_t binIndex(uint64_t latencyUs) {
  if (latencyUs < 4) return uint32_t(latencyUs);
  const uint32_t octave = 63 - uint32_t(__builtin_clzll(latencyUs));
  const uint32_t sub = uint32_t(latencyUs >> (octave - 2)) & 3;
  const uint32_t index = 4 * (octave - 1) + sub;
  return index < kLastBin ? index : kLastBin;
}

constexpr uint64_t binLow(uint32_t index) {
  return index < 4 ? index : uint64_t(4 + index % 4) << (index / 4 - 1);
}

constexpr uint64_t binHigh(uint32_t index) { return binLow(index + 1); }

// Latency samples of a window, summed over its buckets.
struct LatencyHistogram {
  uint64_t bins[layout::kHistogramBins] = {};
  uint64_t samples = 0;

  void add(uint32_t bin, uint64_t count) {
    bins[bin] += count;
    samples += count;
  }

  // The q-quantile (0 < q <= 1) as the midpoint of the bin holding the rank-th sample.
  double percentile(double q) const {
    if (samples == 0) return std::numeric_limits<double>::quiet_NaN();
    const double wanted = std::ceil(q * double(samples));
    const uint64_t rank = wanted < 1 ? 1 : wanted >= double(samples) ? samples : uint64_t(wanted);
    uint64_t cumulative = 0;
    uint32_t bin = 0;
    while ((cumulative += bins[bin]) < rank) ++bin;
    return double(binLow(bin) + binHigh(bin)) / 2;
  }
};

}  // namespace breakwater
