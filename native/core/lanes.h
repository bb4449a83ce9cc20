// Per-thread success lanes (LAYOUT.md "Lanes"): each thread's fast path counts its successes in
// a lane of its own inside the slot, so no count lives only in a thread's heap; readers add the
// lanes to the totals. A thread claims its lane of an arena as a bit of the header's lane mask.
#pragma once

#include <cstdint>

#include "atomic_ref.h"
#include "layout.h"

namespace breakwater {

constexpr uint32_t kAllLanes = (uint32_t{1} << layout::kLanes) - 1;
static_assert(layout::kLanes == 16, "the claim order below interleaves two cache lines of 8 lanes");

// Claim k takes lane (k >> 1) | ((k & 1) << 3): lanes 0, 8, 1, 9, ... so the first threads of an
// arena count in different cache lines (8 lanes of 8 bytes share one), and two busy threads never
// write the same line. The mask's bit k records claim k.
constexpr int32_t laneOfClaim(uint32_t claim) noexcept { return int32_t((claim >> 1) | ((claim & 1) << 3)); }
constexpr uint32_t claimOfLane(int32_t lane) noexcept { return (uint32_t(lane & 7) << 1) | (uint32_t(lane) >> 3); }
static_assert(laneOfClaim(0) == 0 && laneOfClaim(1) == 8 && laneOfClaim(2) == 1 && laneOfClaim(15) == 15);
static_assert(claimOfLane(laneOfClaim(5)) == 5 && claimOfLane(laneOfClaim(14)) == 14);

// Claims the lane of the lowest free claim of an arena; -1 when every lane is taken.
inline int32_t claimLane(ArenaHeader& header) noexcept {
  uint32_t taken = atomic(header.lanesClaimed).load(kAcquire);
  for (;;) {
    const uint32_t free = ~taken & kAllLanes;
    if (free == 0) return -1;
    const uint32_t lowest = free & (0u - free);
    if (atomic(header.lanesClaimed).compare_exchange_weak(taken, taken | lowest, kAcqRel, kAcquire)) {
      return laneOfClaim(uint32_t(__builtin_ctz(lowest)));
    }
  }
}

// Frees a lane for the next thread, which counts on from what it holds (the totals stay exact).
inline void releaseLane(ArenaHeader& header, int32_t lane) noexcept {
  uint32_t taken = atomic(header.lanesClaimed).load(kAcquire);
  while (!atomic(header.lanesClaimed)
              .compare_exchange_weak(taken, taken & ~(uint32_t{1} << claimOfLane(lane)), kAcqRel, kAcquire)) {
  }
}

// Four running sums instead of one chain of dependent adds: lanes hold whole numbers below 2^53,
// so every order of adding them gives the same exact sum.
inline double laneSum(SlotHeader& header) noexcept {
  double sums[4] = {0, 0, 0, 0};
  for (uint32_t i = 0; i < layout::kLanes; ++i) sums[i % 4] += relaxedLoad(header.lanes[i]);
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

// Successes counted in lanes since the last reset: part of totals.calls and totals.successes.
inline uint64_t laneSuccesses(SlotHeader& header) noexcept {
  const double counted = laneSum(header) - relaxedLoad(header.laneBaseline);
  return counted > 0 ? uint64_t(counted) : 0;
}

}  // namespace breakwater
