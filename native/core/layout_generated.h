// generated from native/layout.json by scripts/layout.mjs: edit that file, then run `node scripts/layout.mjs`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace breakwater {

namespace layout {
constexpr uint32_t kMagic = 0x31415742;  // the bytes "BWA1"
constexpr uint32_t kVersion = 4;
constexpr size_t kHeaderBytes = 256;
constexpr size_t kSlotFixedBytes = 512;
constexpr size_t kBucketCounterBytes = 32;
constexpr size_t kBucketBytes = 240;
constexpr uint32_t kBucketLatencySamples = 65000;
constexpr uint32_t kHistogramBins = 104;
constexpr size_t kHistogramBinBytes = 2;
constexpr uint32_t kTagEpochBits = 57;
constexpr uint32_t kHistogramGroupBins = 16;
constexpr uint32_t kMaxBuckets = 64;
constexpr uint32_t kHistoryEntries = 8;
constexpr uint32_t kLanes = 16;
constexpr uint32_t kEraShift = 20;
constexpr size_t kAlignment = 8;
}  // namespace layout

enum class State : uint8_t { Closed = 0, Open = 1, HalfOpen = 2, ForcedOpen = 3, Disabled = 4 };
constexpr uint32_t kStateCount = 5;

enum class Reason : uint8_t { None = 0, ConsecutiveFailures = 1, FailureRate = 2, SlowCallRate = 3, RecoveryTimeout = 4, ProbeSuccess = 5, ProbeFailure = 6, HalfOpenTimeout = 7, ForceOpen = 8, Disable = 9, ManualClose = 10, Reset = 11, Restore = 12, Predicted = 13, Cluster = 14 };

enum class Outcome : uint8_t { Success = 0, Failure = 1, Timeout = 2, Ignored = 3, CountedSuccess = 4 };
constexpr uint32_t kOutcomeCount = 5;

enum class WindowType : uint32_t { Time = 0, Count = 1 };

enum class ClockMode : uint32_t { Monotonic = 0, Manual = 1 };

enum ConfigField : size_t {
  kConfigWindowType = 0,
  kConfigBuckets = 1,
  kConfigWindowSize = 2,
  kConfigFailureThreshold = 3,
  kConfigMinimumCalls = 4,
  kConfigFailureRateThreshold = 5,
  kConfigSlowCallRateThreshold = 6,
  kConfigSlowCallDurationMs = 7,
  kConfigRecoveryTimeoutMs = 8,
  kConfigMaxRecoveryTimeoutMs = 9,
  kConfigBackoffFactor = 10,
  kConfigJitter = 11,
  kConfigHalfOpenMaxCalls = 12,
  kConfigHalfOpenSuccessThreshold = 13,
  kConfigHalfOpenTimeoutMs = 14,
  kConfigProbeTimeoutMs = 15,
  kConfigFieldCount = 16,
};

enum SnapshotField : size_t {
  kSnapState = 0,
  kSnapGeneration = 1,
  kSnapRemainingMs = 2,
  kSnapConsecutiveFailures = 3,
  kSnapReopens = 4,
  kSnapProbesAdmitted = 5,
  kSnapProbeSuccesses = 6,
  kSnapWindowCalls = 7,
  kSnapWindowSuccesses = 8,
  kSnapWindowFailures = 9,
  kSnapWindowSlowCalls = 10,
  kSnapWindowTimeouts = 11,
  kSnapWindowRejections = 12,
  kSnapP50Us = 13,
  kSnapP90Us = 14,
  kSnapP99Us = 15,
  kSnapLatencySamples = 16,
  kSnapTotalCalls = 17,
  kSnapTotalSuccesses = 18,
  kSnapTotalFailures = 19,
  kSnapTotalSlowCalls = 20,
  kSnapTotalTimeouts = 21,
  kSnapTotalRejections = 22,
  kSnapTotalOpens = 23,
  kSnapTotalIgnored = 24,
  kSnapTransitionSequence = 25,
  kSnapMsSinceTransition = 26,
  kSnapNowUs = 27,
  kSnapshotFieldCount = 28,
};

enum WindowStatsField : size_t {
  kStatState = 0,
  kStatConsecutiveFailures = 1,
  kStatMsSinceTransition = 2,
  kStatTotalCalls = 3,
  kStatTotalRejections = 4,
  kStatWindow = 5,
  kStatRecent = 14,
  kWindowStatsFieldCount = 23,
};

enum ScratchField : size_t {
  kScratchGeneration = 0,
  kScratchTransitioned = 1,
  kScratchFrom = 2,
  kScratchTo = 3,
  kScratchReason = 4,
  kScratchNewGeneration = 5,
  kScratchFieldCount = 6,
};

}  // namespace breakwater
