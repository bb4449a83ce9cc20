// Heap arenas for the native tests, with the header written the way JavaScript writes it, a
// snapshot reader, and a named builder for configure()'s f64[15].
#pragma once

#include <cstdint>
#include <vector>

#include "core/arena.h"
#include "core/atomic_ref.h"
#include "core/breaker_slot.h"
#include "core/layout.h"
#include "core/slot_config.h"
#include "core/slot_inspect.h"

namespace breakwater::test {

class TestArena {
 public:
  explicit TestArena(uint32_t capacity = 1, uint32_t maxBuckets = 8,
                     ClockMode clockMode = ClockMode::Manual,
                     uint32_t bins = layout::kHistogramBins)
      : memory_((layout::kHeaderBytes + capacity * layout::slotBytes(maxBuckets, bins)) / 8),
        arena_(writeHeader(capacity, maxBuckets, clockMode, bins)) {}

  TestArena(const TestArena&) = delete;
  TestArena& operator=(const TestArena&) = delete;

  const Arena& arena() const { return arena_; }
  SlotRef slot(uint32_t index = 0) const { return arena_.slot(index); }
  BreakerSlot breaker(uint32_t index = 0) const { return BreakerSlot(slot(index), arena_.clock()); }

  int64_t nowUs() const { return relaxedLoad(header().manualNowUs); }
  void setNowUs(int64_t us) { relaxedStore(header().manualNowUs, us); }
  void advanceUs(int64_t us) { setNowUs(nowUs() + us); }
  void advanceMs(int64_t ms) { advanceUs(ms * 1000); }

 private:
  ArenaHeader& header() const { return *reinterpret_cast<ArenaHeader*>(memory_.data()); }

  void* writeHeader(uint32_t capacity, uint32_t maxBuckets, ClockMode clockMode, uint32_t bins) {
    writeArenaHeader(header(), capacity, maxBuckets, bins, clockMode);
    return memory_.data();
  }

  mutable std::vector<uint64_t> memory_;  // zeroed, 8-byte aligned
  Arena arena_;
};

struct Snapshot {
  double fields[kSnapshotFieldCount];
  double operator[](SnapshotField field) const { return fields[field]; }
};

inline Snapshot snap(const TestArena& arena, uint32_t index = 0) {
  Snapshot s;
  snapshot(arena.slot(index), arena.arena().clock(), s.fields);
  return s;
}

// configure()'s input with readable names; defaults leave every rule off.
struct Options {
  double windowType = 0;
  double buckets = 4;
  double windowSize = 10000;
  double failureThreshold = 0;
  double minimumCalls = 0;
  double failureRateThreshold = 0;
  double slowCallRateThreshold = 0;
  double slowCallDurationMs = 0;
  double recoveryTimeoutMs = 1000;
  double maxRecoveryTimeoutMs = 60000;
  double backoffFactor = 1;
  double jitter = 0;
  double halfOpenMaxCalls = 1;
  double halfOpenSuccessThreshold = 1;
  double halfOpenTimeoutMs = 0;

  void applyTo(SlotRef slot) const {
    const double values[kConfigFieldCount] = {
        windowType,         buckets,           windowSize,           failureThreshold,
        minimumCalls,       failureRateThreshold, slowCallRateThreshold, slowCallDurationMs,
        recoveryTimeoutMs,  maxRecoveryTimeoutMs, backoffFactor,      jitter,
        halfOpenMaxCalls,   halfOpenSuccessThreshold, halfOpenTimeoutMs};
    configure(slot, values);
  }
};

}  // namespace breakwater::test
