// generated from native/layout.json by scripts/layout.mjs: edit that file, then run `node scripts/layout.mjs`.
// Included at the end of layout.h: the structs above must sit at these offsets.
#pragma once

namespace breakwater {

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
static_assert(sizeof(SlotHeader) == layout::kSlotFixedBytes);
static_assert(offsetof(SlotHeader, stateWord) == 0);
static_assert(offsetof(SlotHeader, halfOpenWord) == 8);
static_assert(offsetof(SlotHeader, consecutiveFailures) == 16);
static_assert(offsetof(SlotHeader, reopens) == 20);
static_assert(offsetof(SlotHeader, callSequence) == 24);
static_assert(offsetof(SlotHeader, transitionSequence) == 32);
static_assert(offsetof(SlotHeader, lastTransitionAtUs) == 40);
static_assert(offsetof(SlotHeader, epoch) == 48);
static_assert(offsetof(SlotHeader, probeGrantedMs32) == 52);
static_assert(offsetof(SlotHeader, laneBaseline) == 56);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, windowType) == 64);
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
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, probeTimeoutMs) == 148);
static_assert(offsetof(SlotHeader, config) + offsetof(SlotConfig, reserved) == 152);
static_assert(offsetof(SlotHeader, totals) == 192);
static_assert(offsetof(SlotHeader, history) == 256);
static_assert(offsetof(SlotHeader, lanes) == 384);
static_assert(sizeof(Bucket) == layout::kBucketBytes);
static_assert(offsetof(Bucket, tag) == 0);
static_assert(offsetof(Bucket, calls) == 8);
static_assert(offsetof(Bucket, successes) == 12);
static_assert(offsetof(Bucket, failures) == 16);
static_assert(offsetof(Bucket, slowCalls) == 20);
static_assert(offsetof(Bucket, timeouts) == 24);
static_assert(offsetof(Bucket, rejections) == 28);
static_assert(offsetof(Bucket, histogram) == 32);
static_assert(offsetof(Totals, calls) == 0);
static_assert(offsetof(Totals, successes) == 8);
static_assert(offsetof(Totals, failures) == 16);
static_assert(offsetof(Totals, slowCalls) == 24);
static_assert(offsetof(Totals, timeouts) == 32);
static_assert(offsetof(Totals, rejections) == 40);
static_assert(offsetof(Totals, opens) == 48);
static_assert(offsetof(Totals, ignored) == 56);

}  // namespace breakwater
