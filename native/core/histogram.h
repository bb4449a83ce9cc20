// Log-linear latency histogram: four bins per power of two, exact below 4 us, 104 bins.
#pragma once

#include <algorithm>
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

// Latency samples of a window, summed over its buckets. It remembers the lowest and highest bin
// it holds, so scans and clear() touch only those (a window's calls sit in a few bins).
struct LatencyHistogram {
  uint64_t bins[layout::kHistogramBins] = {};
  uint64_t samples = 0;
  uint32_t lowest = layout::kHistogramBins;
  uint32_t highest = 0;

  // Adds the bins [first, end) of a bucket's histogram, each loaded once (relaxed), without a
  // branch per bin (a group's counts sit at random among its bins); lowest and highest then cover
  // the whole group, which percentile walks and clear() take in their stride.
  template <typename LoadBin>
  void addBins(uint32_t first, uint32_t end, LoadBin&& load) {
    uint64_t added = 0;
    for (uint32_t bin = first; bin < end; ++bin) {
      const uint32_t count = load(bin);
      bins[bin] += count;
      added += count;
    }
    if (added == 0) return;
    samples += added;
    lowest = std::min(lowest, first);
    highest = std::max(highest, end - 1);
  }

  // Empty again, writing only the bins it used: one histogram serves a loop over many slots.
  void clear() {
    if (samples != 0) std::fill(bins + lowest, bins + highest + 1, uint64_t{0});
    samples = 0;
    lowest = layout::kHistogramBins;
    highest = 0;
  }

  // The q-quantile (0 < q <= 1) as the midpoint of the bin holding the rank-th sample.
  double percentile(double q) const {
    if (samples == 0) return std::numeric_limits<double>::quiet_NaN();
    uint64_t cumulative = 0;
    return midpoint(binOfRank(rankOf(q), lowest, cumulative));
  }

  // p50, p90 and p99 into out[0..2] in one pass (equal to three percentile() calls).
  void writeP50P90P99(double* out) const {
    if (samples == 0) {
      out[0] = out[1] = out[2] = std::numeric_limits<double>::quiet_NaN();
      return;
    }
    uint64_t cumulative = 0;
    uint32_t bin = lowest;
    const double quantiles[3] = {0.5, 0.9, 0.99};
    for (int k = 0; k < 3; ++k) out[k] = midpoint(bin = binOfRank(rankOf(quantiles[k]), bin, cumulative));
  }

 private:
  uint64_t rankOf(double q) const {
    const double wanted = std::ceil(q * double(samples));
    return wanted < 1 ? 1 : wanted >= double(samples) ? samples : uint64_t(wanted);
  }

  // The first bin from `bin` on where the samples below it (`cumulative`, updated) plus its own reach `rank`.
  uint32_t binOfRank(uint64_t rank, uint32_t bin, uint64_t& cumulative) const {
    while (cumulative + bins[bin] < rank) cumulative += bins[bin++];
    return bin;
  }

  static double midpoint(uint32_t bin) { return double(binLow(bin) + binHigh(bin)) / 2; }
};

}  // namespace breakwater
