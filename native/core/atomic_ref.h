// Atomic access to plain memory shared with JavaScript (Atomics) and other threads.
//
// A C++17 stand-in for std::atomic_ref built on the GCC/Clang __atomic builtins, which are
// defined for any naturally aligned object. The member names match std::atomic_ref so the
// core can switch to it with a one-line alias once it moves to C++20.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

#define BREAKWATER_INLINE inline __attribute__((always_inline))

namespace breakwater {

// The builtins take the memory order as an int; libstdc++ and libc++ both define
// std::memory_order with the builtin values, which lets us pass it through unchanged.
static_assert(int(std::memory_order_relaxed) == __ATOMIC_RELAXED &&
              int(std::memory_order_acquire) == __ATOMIC_ACQUIRE &&
              int(std::memory_order_release) == __ATOMIC_RELEASE &&
              int(std::memory_order_acq_rel) == __ATOMIC_ACQ_REL &&
              int(std::memory_order_seq_cst) == __ATOMIC_SEQ_CST);

template <class T>
class AtomicRef {
  static_assert(std::is_trivially_copyable_v<T>, "atomic access needs a trivially copyable type");
  static_assert(sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8, "arena fields are 16, 32 or 64 bits wide");
  static_assert(__atomic_always_lock_free(sizeof(T), 0), "arena fields must be lock-free");

 public:
  BREAKWATER_INLINE explicit AtomicRef(T& object) noexcept : object_(&object) {}

  BREAKWATER_INLINE T load(std::memory_order order = std::memory_order_seq_cst) const noexcept {
    T value;
    __atomic_load(object_, &value, int(order));
    return value;
  }

  BREAKWATER_INLINE void store(T value,
                               std::memory_order order = std::memory_order_seq_cst) const noexcept {
    __atomic_store(object_, &value, int(order));
  }

  BREAKWATER_INLINE bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                                                 std::memory_order failure) const noexcept {
    return __atomic_compare_exchange(object_, &expected, &desired, false, int(success),
                                     int(failure));
  }

  BREAKWATER_INLINE bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                                               std::memory_order failure) const noexcept {
    return __atomic_compare_exchange(object_, &expected, &desired, true, int(success),
                                     int(failure));
  }

  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  BREAKWATER_INLINE T fetch_or(T bits, std::memory_order order = std::memory_order_seq_cst) const noexcept {
    return __atomic_fetch_or(object_, bits, int(order));
  }

  template <class U = T, class = std::enable_if_t<std::is_integral_v<U>>>
  BREAKWATER_INLINE T fetch_add(T delta,
                                std::memory_order order = std::memory_order_seq_cst) const noexcept {
    return __atomic_fetch_add(object_, delta, int(order));
  }

 private:
  T* object_;
};

template <class T>
BREAKWATER_INLINE AtomicRef<T> atomic(T& object) noexcept {
  return AtomicRef<T>(object);
}

// Shorthands for the orders the core uses; every field is relaxed unless a comment says why.
constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr auto kAcquire = std::memory_order_acquire;
constexpr auto kRelease = std::memory_order_release;
constexpr auto kAcqRel = std::memory_order_acq_rel;

// Relaxed read-modify-write helpers for statistics counters.
template <class T>
BREAKWATER_INLINE void bump(T& counter, T delta) noexcept {
  atomic(counter).fetch_add(delta, kRelaxed);
}

template <class T>
BREAKWATER_INLINE T relaxedLoad(T& field) noexcept {
  return atomic(field).load(kRelaxed);
}

template <class T>
BREAKWATER_INLINE void relaxedStore(T& field, T value) noexcept {
  atomic(field).store(value, kRelaxed);
}

}  // namespace breakwater

#undef BREAKWATER_INLINE
