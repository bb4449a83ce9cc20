// What every binding function shares: the per-environment state, errors, and the reading of
// one call's arguments. Argument conversion only; no breaker logic lives here.
#pragma once

#include <napi.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "core/arena.h"
#include "core/breaker_slot.h"
#include "core/coarse_clock.h"
#include "core/host_arena.h"

namespace breakwater::binding {

// setScratch(Int32Array): where operations report what a return value cannot carry (ScratchField,
// generated from native/layout.json).

struct AttachedArena {
  Arena arena;
  Napi::Reference<Napi::Value> buffer;  // keeps the memory alive (a host arena's mapping lives on anyway)
  std::vector<int32_t> lanes;           // lanes this environment claimed in the arena
#ifdef BREAKWATER_HOST_ARENAS
  host::HostArena* host = nullptr;      // set for a host-wide arena
#endif

  int32_t claimLane() {
#ifdef BREAKWATER_HOST_ARENAS
    if (host) return host->claimLane();
#endif
    return arena.claimLane();
  }

  void releaseLane(int32_t lane) const {
#ifdef BREAKWATER_HOST_ARENAS
    if (host) return host->releaseLane(lane);
#endif
    arena.releaseLane(lane);
  }
};

// A half-open probe this environment was granted and has not recorded an outcome for.
struct HeldProbe {
  uint32_t arenaId;
  uint32_t index;
  uint32_t epoch;  // the slot's owner when the probe was granted
  uint32_t generation;
};

// One per Node environment (main thread or worker), owned by the addon's instance data.
struct EnvState {
  std::vector<AttachedArena> arenas;
  std::vector<HeldProbe> probes;
  int32_t* scratch = nullptr;
  Napi::Reference<Napi::Value> scratchArray;
  ClockPage clockPage;
  Napi::Reference<Napi::Value> clockPageArray;
  bool clockPageRegistered = false;
  CoarseClock& coarseClock = CoarseClock::shared();

  void probeRecorded(uint32_t arenaId, uint32_t index, uint32_t generation) {
    for (size_t i = 0; i < probes.size(); ++i) {
      const HeldProbe& held = probes[i];
      if (held.arenaId == arenaId && held.index == index && held.generation == generation) {
        probes[i] = probes.back();
        probes.pop_back();
        return;
      }
    }
  }

  // The probes this environment holds, given back (each an ignored call) as it ends, so the
  // next caller in any thread probes instead of the round waiting for good for calls that will
  // never answer. A process that ends without it (killed, process.exit()) leaves its pid in a
  // host arena: HostArena::takeDeadProbeHolder.
  void giveBackProbes() {
    for (const HeldProbe& held : probes) {
      const Arena& arena = arenas[held.arenaId].arena;
      const SlotRef slot = arena.slot(held.index);
      if (relaxedLoad(slot.header->epoch) != held.epoch) continue;  // given back, maybe reused
      BreakerSlot(slot, arena.clock()).giveBackProbe(held.generation);
    }
  }

  // Instance data is deleted during environment cleanup, however the thread ends (returns,
  // process.exit, terminate; the main thread's process.exit() skips it). Unregistering the clock page here, right before its memory goes
  // away, guarantees the clock thread never writes freed memory; the lanes this thread claimed
  // go back (their counts stay in them), while the buffer references still hold the memory.
  ~EnvState() {
    if (clockPageRegistered) coarseClock.unregisterPage(&clockPage);
    giveBackProbes();
    for (const AttachedArena& attached : arenas) {
      for (const int32_t lane : attached.lanes) attached.releaseLane(lane);
    }
  }
};

enum class ErrorKind { Type, Range, Plain };

inline napi_value throwError(napi_env env, ErrorKind kind, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

// Throws a JS error with a formatted message; returns nullptr (undefined) for the callback.
inline napi_value throwError(napi_env env, ErrorKind kind, const char* format, ...) {
  char message[256];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  switch (kind) {
    case ErrorKind::Type: napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message); break;
    case ErrorKind::Range: napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message); break;
    case ErrorKind::Plain: napi_throw_error(env, nullptr, message); break;
  }
  return nullptr;
}

inline napi_value toJs(napi_env env, uint32_t value) {
  napi_value result;
  napi_create_uint32(env, value, &result);
  return result;
}

inline napi_value toJs(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

// A slot addressed by (arenaId, index) arguments that passed validation.
struct SlotArgs {
  const Arena* arena;
  uint32_t index;
  uint32_t arenaId;

  SlotRef slot() const { return arena->slot(index); }
  BreakerSlot breaker() const { return BreakerSlot(slot(), arena->clock()); }
};

// The arguments of one call and the environment state bound to the function. Readers return
// false (or nullopt) after throwing; the callback then returns nullptr.
template <size_t N>
class Call {
 public:
  Call(napi_env env, napi_callback_info info) : env_(env) {
    size_t argc = N;
    void* data = nullptr;
    napi_get_cb_info(env, info, &argc, argv_, nullptr, &data);  // missing arguments: undefined
    state_ = static_cast<EnvState*>(data);
  }

  napi_env env() const { return env_; }
  EnvState& state() const { return *state_; }
  napi_value operator[](size_t i) const { return argv_[i]; }

  bool int32(size_t i, const char* name, int32_t& out) const {
    if (napi_get_value_int32(env_, argv_[i], &out) == napi_ok) return true;
    throwError(env_, ErrorKind::Type, "%s must be a number", name);
    return false;
  }

  bool int32In(size_t i, const char* name, int32_t low, int32_t high, int32_t& out) const {
    if (!int32(i, name, out)) return false;
    if (out >= low && out <= high) return true;
    throwError(env_, ErrorKind::Range, "%s must be within %d..%d, got %d", name, low, high, out);
    return false;
  }

  bool number(size_t i, const char* name, double& out) const {
    if (napi_get_value_double(env_, argv_[i], &out) == napi_ok) return true;
    throwError(env_, ErrorKind::Type, "%s must be a number", name);
    return false;
  }

  AttachedArena* attachedArena(size_t i) const {
    int32_t id;
    if (!int32(i, "arenaId", id)) return nullptr;
    if (uint32_t(id) < state_->arenas.size()) return &state_->arenas[uint32_t(id)];
    throwError(env_, ErrorKind::Range, "arenaId %d is not attached (%zu arenas)", id,
               state_->arenas.size());
    return nullptr;
  }

  const Arena* arena(size_t i) const {
    AttachedArena* attached = attachedArena(i);
    return attached ? &attached->arena : nullptr;
  }

  // Arguments 0 and 1: arenaId, slot index.
  std::optional<SlotArgs> slot() const {
    AttachedArena* attached = attachedArena(0);
    const Arena* found = attached ? &attached->arena : nullptr;
    int32_t index;
    if (!found || !int32(1, "index", index)) return std::nullopt;
    if (uint32_t(index) < found->capacity()) {
      return SlotArgs{found, uint32_t(index), uint32_t(attached - state_->arenas.data())};
    }
    throwError(env_, ErrorKind::Range, "slot index %d is out of range (capacity %u)", index,
               found->capacity());
    return std::nullopt;
  }

  // A typed array of `type` with at least `minLength` elements.
  template <class T>
  T* typedArray(size_t i, const char* name, napi_typedarray_type type, const char* typeName,
                size_t minLength, size_t* length = nullptr) const {
    bool isTypedArray = false;
    napi_typedarray_type actualType;
    size_t actualLength = 0;
    void* data = nullptr;
    if (napi_is_typedarray(env_, argv_[i], &isTypedArray) != napi_ok || !isTypedArray ||
        napi_get_typedarray_info(env_, argv_[i], &actualType, &actualLength, &data, nullptr,
                                 nullptr) != napi_ok ||
        actualType != type) {
      throwError(env_, ErrorKind::Type, "%s must be a %s", name, typeName);
      return nullptr;
    }
    if (actualLength < minLength) {
      throwError(env_, ErrorKind::Range, "%s must have at least %zu elements, got %zu", name,
                 minLength, actualLength);
      return nullptr;
    }
    if (length) *length = actualLength;
    return static_cast<T*>(data);
  }

  int32_t* int32Array(size_t i, const char* name, size_t* length) const {
    return typedArray<int32_t>(i, name, napi_int32_array, "Int32Array", 0, length);
  }

  double* float64Array(size_t i, const char* name, size_t minLength,
                       size_t* length = nullptr) const {
    return typedArray<double>(i, name, napi_float64_array, "Float64Array", minLength, length);
  }

  // Operations that report through the scratch array need it first.
  int32_t* scratch() const {
    if (state_->scratch) return state_->scratch;
    throwError(env_, ErrorKind::Plain, "call setScratch(new Int32Array(%d)) first",
               int(kScratchFieldCount));
    return nullptr;
  }

 private:
  napi_env env_;
  EnvState* state_;
  napi_value argv_[N > 0 ? N : 1];
};

}  // namespace breakwater::binding
