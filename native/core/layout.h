// Arena layout v4 (native/LAYOUT.md): the byte-exact structures shared with JavaScript, and
// the numeric codes stored in them. Every offset is pinned by a static_assert generated from
// native/layout.json.
#pragma once

#include <cstddef>
#include <cstdint>

#include "layout_generated.h"

namespace breakwater {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the arena layout is little-endian");

// The constants, codes and index enums are generated from native/layout.json (layout_generated.h);
// the structs are written here, and layout_asserts.h (generated too) pins each field's offset.
namespace layout {
// bins is kHistogramBins, or 0 for an arena without latency histograms.
constexpr size_t bucketBytes(uint32_t bins) { return kBucketCounterBytes + size_t{bins} * kHistogramBinBytes; }

constexpr size_t slotBytes(uint32_t maxBuckets, uint32_t bins = kHistogramBins) {
  return kSlotFixedBytes + size_t{maxBuckets} * bucketBytes(bins);
}
}  // namespace layout

struct ArenaHeader {
  uint32_t magic;
  uint32_t version;
  uint32_t capacity;
  uint32_t maxBuckets;
  uint32_t slotBytes;
  uint32_t bins;
  uint32_t nextFreeSlot;
  uint32_t clockMode;
  int64_t manualNowUs;
  int32_t clockWords[4];  // manual mode: nowMs32, parked (always 0), demand, era
  uint32_t lanesClaimed;  // bit k set: lane k belongs to a thread
  uint8_t reserved[196];
};

struct SlotConfig {
  uint32_t windowType;
  uint32_t buckets;
  uint64_t bucketSpan;  // microseconds (time windows) or calls (count windows)
  uint32_t failureThreshold;
  uint32_t minimumCalls;
  double failureRateThreshold;
  double slowCallRateThreshold;
  uint64_t slowCallDurationUs;
  uint32_t recoveryTimeoutMs;
  uint32_t maxRecoveryTimeoutMs;
  double backoffFactor;
  double jitter;
  uint32_t halfOpenMaxCalls;
  uint32_t halfOpenSuccessThreshold;
  uint32_t halfOpenTimeoutMs;
  uint32_t probeTimeoutMs;  // the call timeout: probes all out this long after the newest end the round
  uint8_t reserved[40];
};

struct Totals {
  uint64_t calls;
  uint64_t successes;
  uint64_t failures;
  uint64_t slowCalls;
  uint64_t timeouts;
  uint64_t rejections;
  uint64_t opens;
  uint64_t ignored;
};

struct HistoryEntry {
  int64_t atUs;
  uint64_t transition;  // bytes: from, to, reason, 0, then u32 newGeneration (see words.h)
};

struct SlotHeader {
  uint64_t stateWord;
  uint64_t halfOpenWord;
  uint32_t consecutiveFailures;
  uint32_t reopens;
  uint64_t callSequence;
  uint64_t transitionSequence;
  int64_t lastTransitionAtUs;
  uint32_t epoch;  // bumped each time the slot is given back: a handle of an older epoch is stale
  uint32_t probeGrantedMs32;  // ms32 of the newest half-open probe granted
  double laneBaseline;  // sum of the lanes at the last reset
  SlotConfig config;
  Totals totals;
  HistoryEntry history[layout::kHistoryEntries];
  double lanes[layout::kLanes];  // successes counted by each thread's fast path (its own lane)
};

struct Bucket {
  uint64_t tag;  // epoch + 1; 0 = empty
  uint32_t calls;
  uint32_t successes;
  uint32_t failures;
  uint32_t slowCalls;
  uint32_t timeouts;
  uint32_t rejections;
  uint16_t histogram[layout::kHistogramBins];  // the latencies of the first kBucketLatencySamples calls
};

static_assert(sizeof(Bucket::histogram[0]) == layout::kHistogramBinBytes, "a bin is as wide as layout.json says");
static_assert(alignof(ArenaHeader) <= layout::kAlignment && alignof(SlotHeader) <= layout::kAlignment &&
              alignof(Bucket) <= layout::kAlignment);

}  // namespace breakwater

#include "layout_asserts.h"
