// Arena layout v2 (native/LAYOUT.md): the byte-exact structures shared with JavaScript, and
// the numeric codes stored in them. Every offset is pinned by a static_assert.
#pragma once

#include <cstddef>
#include <cstdint>

namespace breakwater {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the arena layout is little-endian");

namespace layout {
constexpr uint32_t kMagic = 0x31415742;  // the bytes "BWA1"
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderBytes = 256;
constexpr size_t kSlotFixedBytes = 512;
// A bucket is 32 bytes of counters, then the latency histogram when the arena keeps one.
constexpr size_t kBucketCounterBytes = 32;
constexpr size_t kBucketBytes = 448;
constexpr uint32_t kMaxBuckets = 64;
constexpr uint32_t kHistogramBins = 104;
constexpr uint32_t kHistoryEntries = 8;
// Threads count fast-path successes in lanes of their own; a thread past the last counts in the core.
constexpr uint32_t kLanes = 16;
// The clock's era word is nowMs >> kEraShift (about 17.5 minutes a step).
constexpr uint32_t kEraShift = 20;
constexpr size_t kAlignment = 8;

// bins is kHistogramBins, or 0 for an arena without latency histograms.
constexpr size_t bucketBytes(uint32_t bins) { return kBucketCounterBytes + size_t{bins} * 4; }

constexpr size_t slotBytes(uint32_t maxBuckets, uint32_t bins = kHistogramBins) {
  return kSlotFixedBytes + size_t{maxBuckets} * bucketBytes(bins);
}
}  // namespace layout

enum class State : uint8_t { Closed = 0, Open = 1, HalfOpen = 2, ForcedOpen = 3, Disabled = 4 };
constexpr uint32_t kStateCount = 5;

enum class Reason : uint8_t {
  None = 0,
  ConsecutiveFailures = 1,
  FailureRate = 2,
  SlowCallRate = 3,
  RecoveryTimeout = 4,
  ProbeSuccess = 5,
  ProbeFailure = 6,
  HalfOpenTimeout = 7,
  ForceOpen = 8,
  Disable = 9,
  ManualClose = 10,
  Reset = 11,
  Restore = 12,
  Predicted = 13,
};

// CountedSuccess: successes a thread already counted in its lane (the lanes are their totals),
// folded into the window and the state machine only.
enum class Outcome : uint8_t { Success = 0, Failure = 1, Timeout = 2, Ignored = 3, CountedSuccess = 4 };
constexpr uint32_t kOutcomeCount = 5;

enum class WindowType : uint32_t { Time = 0, Count = 1 };
enum class ClockMode : uint32_t { Monotonic = 0, Manual = 1 };

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
  uint8_t reserved[44];
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
  uint32_t reserved;
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
  uint32_t histogram[layout::kHistogramBins];
};

static_assert(sizeof(ArenaHeader) == layout::kHeaderBytes);
static_assert(offsetof(ArenaHeader, magic) == 0);
static_assert(offsetof(ArenaHeader, version) == 4);
static_assert(offsetof(ArenaHeader, capacity) == 8);
static_assert(offsetof(ArenaHeader, maxBuckets) == 12);
static_assert(offsetof(ArenaHeader, slotBytes) == 16);
static_assert(offsetof(ArenaHeader, bins) == 20);
static_assert(offsetof(ArenaHeader, nextFreeSlot) == 24);
static_assert(offsetof(ArenaHeader, clockMode) == 28);
static_assert(offsetof(ArenaHeader, manualNowUs) == 32);
static_assert(offsetof(ArenaHeader, clockWords) == 40);
static_assert(offsetof(ArenaHeader, lanesClaimed) == 56);
static_assert(offsetof(ArenaHeader, reserved) == 60);

static_assert(offsetof(SlotHeader, halfOpenWord) == 8);
static_assert(offsetof(SlotHeader, consecutiveFailures) == 16);
static_assert(offsetof(SlotHeader, reopens) == 20);
static_assert(offsetof(SlotHeader, callSequence) == 24);
static_assert(offsetof(SlotHeader, transitionSequence) == 32);
static_assert(offsetof(SlotHeader, lastTransitionAtUs) == 40);
static_assert(offsetof(SlotHeader, epoch) == 48);
static_assert(offsetof(SlotHeader, laneBaseline) == 56);
static_assert(offsetof(SlotHeader, config) == 64);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, buckets) == 68);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, bucketSpan) == 72);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, failureThreshold) == 80);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, minimumCalls) == 84);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, failureRateThreshold) == 88);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, slowCallRateThreshold) == 96);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, slowCallDurationUs) == 104);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, recoveryTimeoutMs) == 112);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, maxRecoveryTimeoutMs) == 116);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, backoffFactor) == 120);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, jitter) == 128);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, halfOpenMaxCalls) == 136);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, halfOpenSuccessThreshold) == 140);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, halfOpenTimeoutMs) == 144);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, reserved) == 148);
static_assert(offsetof(SlotHeader, totals) == 192);
static_assert(offsetof(SlotHeader, totals) + offsetof(Totals, ignored) == 248);
static_assert(offsetof(SlotHeader, history) == 256);
static_assert(sizeof(HistoryEntry) == 16);
static_assert(offsetof(SlotHeader, lanes) == 384);
static_assert(sizeof(SlotHeader) == layout::kSlotFixedBytes);

static_assert(offsetof(Bucket, calls) == 8);
static_assert(offsetof(Bucket, rejections) == 28);
static_assert(offsetof(Bucket, histogram) == 32);
static_assert(sizeof(Bucket) == layout::kBucketBytes);

static_assert(alignof(ArenaHeader) <= layout::kAlignment && alignof(SlotHeader) <= layout::kAlignment &&
              alignof(Bucket) <= layout::kAlignment);

}  // namespace breakwater
