// An attached arena: the header validated once, then slots addressed from cached geometry so
// that nothing JavaScript writes into the header later can send an access out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "atomic_ref.h"
#include "clock.h"
#include "lanes.h"
#include "layout.h"

namespace breakwater {

enum class ArenaProblem {
  None,
  ShorterThanHeader,
  Misaligned,
  BadMagic,
  BadVersion,
  BadMaxBuckets,
  BadSlotBytes,
  BadBins,
  BadClockMode,
  ShorterThanSlots,
};

inline const char* describe(ArenaProblem problem) {
  switch (problem) {
    case ArenaProblem::None: return "valid arena";
    case ArenaProblem::ShorterThanHeader: return "buffer is shorter than the 256-byte arena header";
    case ArenaProblem::Misaligned: return "buffer start is not 8-byte aligned";
    case ArenaProblem::BadMagic: return "not a breakwater arena (bad magic)";
    case ArenaProblem::BadVersion: return "unsupported arena layout version";
    case ArenaProblem::BadMaxBuckets: return "maxBuckets must be within 1..64";
    case ArenaProblem::BadSlotBytes: return "slotBytes must equal 512 + maxBuckets * (32 + 2 * bins)";
    case ArenaProblem::BadBins: return "histogram bins must be 104, or 0 for no latency histograms";
    case ArenaProblem::BadClockMode: return "clock mode must be 0 (monotonic) or 1 (manual)";
    case ArenaProblem::ShorterThanSlots: return "buffer is shorter than 256 + capacity * slotBytes";
  }
  return "invalid arena";
}

// Writes a fresh arena's header (the slots that follow stay zero: CLOSED, never configured).
inline void writeArenaHeader(ArenaHeader& header, uint32_t capacity, uint32_t maxBuckets, uint32_t bins,
                             ClockMode clockMode) noexcept {
  header.magic = layout::kMagic;
  header.version = layout::kVersion;
  header.capacity = capacity;
  header.maxBuckets = maxBuckets;
  header.slotBytes = uint32_t(layout::slotBytes(maxBuckets, bins));
  header.bins = bins;
  header.clockMode = uint32_t(clockMode);
}

// The outcome of validating a header; `actual` and `expected` detail the failed check.
struct ArenaCheck {
  ArenaProblem problem;
  uint64_t actual;
  uint64_t expected;

  bool ok() const { return problem == ArenaProblem::None; }
};

// Where one slot lives. Buckets are `bucketStride` bytes apart: with a histogram (the Bucket
// struct), or only its 32 bytes of counters, whose histogram must then never be touched.
struct SlotRef {
  SlotHeader* header;
  std::byte* firstBucket;
  uint32_t maxBuckets;
  uint32_t bucketStride;
  bool histogram;

  Bucket& bucket(uint32_t index) const noexcept {
    return *reinterpret_cast<Bucket*>(firstBucket + size_t{index} * bucketStride);
  }
};

class Arena {
 public:
  static ArenaCheck validate(void* data, size_t byteLength) noexcept {
    if (byteLength < layout::kHeaderBytes) {
      return {ArenaProblem::ShorterThanHeader, byteLength, layout::kHeaderBytes};
    }
    const auto address = reinterpret_cast<uintptr_t>(data);
    if (address % layout::kAlignment != 0) {
      return {ArenaProblem::Misaligned, address % layout::kAlignment, 0};
    }
    auto& header = *static_cast<ArenaHeader*>(data);
    const uint32_t magic = relaxedLoad(header.magic);
    const uint32_t version = relaxedLoad(header.version);
    const uint32_t maxBuckets = relaxedLoad(header.maxBuckets);
    const uint32_t slotBytes = relaxedLoad(header.slotBytes);
    const uint32_t bins = relaxedLoad(header.bins);
    const uint32_t clockMode = relaxedLoad(header.clockMode);
    if (magic != layout::kMagic) return {ArenaProblem::BadMagic, magic, layout::kMagic};
    if (version != layout::kVersion) return {ArenaProblem::BadVersion, version, layout::kVersion};
    if (maxBuckets < 1 || maxBuckets > layout::kMaxBuckets) {
      return {ArenaProblem::BadMaxBuckets, maxBuckets, layout::kMaxBuckets};
    }
    if (bins != layout::kHistogramBins && bins != 0) {
      return {ArenaProblem::BadBins, bins, layout::kHistogramBins};
    }
    if (slotBytes != layout::slotBytes(maxBuckets, bins)) {
      return {ArenaProblem::BadSlotBytes, slotBytes, layout::slotBytes(maxBuckets, bins)};
    }
    if (clockMode > uint32_t(ClockMode::Manual)) {
      return {ArenaProblem::BadClockMode, clockMode, uint32_t(ClockMode::Manual)};
    }
    const uint64_t needed =
        layout::kHeaderBytes + uint64_t{relaxedLoad(header.capacity)} * slotBytes;
    if (byteLength < needed) return {ArenaProblem::ShorterThanSlots, byteLength, needed};
    return {ArenaProblem::None, 0, 0};
  }

  // Precondition: validate(data, byteLength).ok().
  explicit Arena(void* data) noexcept
      : bytes_(static_cast<std::byte*>(data)),
        capacity_(relaxedLoad(header().capacity)),
        maxBuckets_(relaxedLoad(header().maxBuckets)),
        bins_(relaxedLoad(header().bins)),
        slotBytes_(layout::slotBytes(maxBuckets_, bins_)),
        manualClock_(relaxedLoad(header().clockMode) == uint32_t(ClockMode::Manual)) {}

  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t maxBuckets() const noexcept { return maxBuckets_; }

  ArenaClock clock() const noexcept {
    return ArenaClock(manualClock_ ? &header().manualNowUs : nullptr);
  }

  // This thread's lane of the arena (LAYOUT.md "Lanes"), -1 when all are taken; and its release.
  int32_t claimLane() const noexcept { return breakwater::claimLane(header()); }
  void releaseLane(int32_t lane) const noexcept { breakwater::releaseLane(header(), lane); }

  // Precondition: index < capacity().
  SlotRef slot(uint32_t index) const noexcept {
    std::byte* base = bytes_ + layout::kHeaderBytes + size_t{index} * slotBytes_;
    return {reinterpret_cast<SlotHeader*>(base), base + layout::kSlotFixedBytes, maxBuckets_,
            uint32_t(layout::bucketBytes(bins_)), bins_ != 0};
  }

 private:
  ArenaHeader& header() const noexcept { return *reinterpret_cast<ArenaHeader*>(bytes_); }

  std::byte* bytes_;
  uint32_t capacity_;
  uint32_t maxBuckets_;
  uint32_t bins_;
  size_t slotBytes_;
  bool manualClock_;
};

}  // namespace breakwater
