// The packed 64-bit words of a slot: the state word, the half-open word, and the transition
// half of a history entry. Pure encode/decode, no memory access.
#pragma once

#include <cstdint>

#include "layout.h"

namespace breakwater {

constexpr uint32_t kGenerationBits = 28;
constexpr uint32_t kGenerationMask = (1u << kGenerationBits) - 1;

constexpr uint32_t nextGeneration(uint32_t generation) {
  return (generation + 1) & kGenerationMask;
}

// Serial-number order of 28-bit generations: whether `a` came after `b`.
constexpr bool isNewerGeneration(uint32_t a, uint32_t b) {
  return int32_t(((a - b) & kGenerationMask) << (32 - kGenerationBits)) > 0;
}

// bits 0-3 state, 4-31 generation, 32-63 deadline (ms32).
struct StateWord {
  State state;
  uint32_t generation;
  uint32_t deadline;

  static constexpr StateWord decode(uint64_t word) {
    return {State(word & 0xF), uint32_t(word >> 4) & kGenerationMask, uint32_t(word >> 32)};
  }

  constexpr uint64_t encode() const {
    return uint64_t(state) | uint64_t(generation & kGenerationMask) << 4 | uint64_t(deadline) << 32;
  }
};

// bits 0-31 generation, 32-47 probes admitted, 48-63 probe successes.
struct HalfOpenWord {
  static constexpr uint32_t kMaxCount = 0xFFFF;

  uint32_t generation;
  uint32_t admitted;
  uint32_t successes;

  static constexpr HalfOpenWord decode(uint64_t word) {
    return {uint32_t(word), uint32_t(word >> 32) & kMaxCount, uint32_t(word >> 48)};
  }

  // The counters of another generation's half-open period do not apply to this one.
  static constexpr HalfOpenWord decodeFor(uint64_t word, uint32_t generation) {
    HalfOpenWord h = decode(word);
    return h.generation == generation ? h : HalfOpenWord{generation, 0, 0};
  }

  constexpr uint64_t encode() const {
    return uint64_t(generation) | uint64_t(admitted & kMaxCount) << 32 |
           uint64_t(successes & kMaxCount) << 48;
  }
};

// The second u64 of a history entry: bytes from, to, reason, 0, then u32 newGeneration.
struct TransitionWord {
  State from;
  State to;
  Reason reason;
  uint32_t newGeneration;

  static constexpr TransitionWord decode(uint64_t word) {
    return {State(word & 0xFF), State((word >> 8) & 0xFF), Reason((word >> 16) & 0xFF),
            uint32_t(word >> 32)};
  }

  constexpr uint64_t encode() const {
    return uint64_t(from) | uint64_t(to) << 8 | uint64_t(reason) << 16 |
           uint64_t(newGeneration) << 32;
  }
};

}  // namespace breakwater
