// The binding of host-wide arenas (core/host_arena.h, core/host_file.h): argument conversion only.
#pragma once

#include <napi.h>

#include <cstring>

#include "binding/call.h"
#include "core/host_file.h"

namespace breakwater::binding {

#ifdef BREAKWATER_HOST_ARENAS

// The host arena behind an arenaId argument; throws for an arena that is not host-wide.
inline host::HostArena* hostArenaArg(const AttachedArena* attached, napi_env env) {
  if (!attached) return nullptr;
  if (!attached->host) throwError(env, ErrorKind::Type, "arenaId is not a host arena");
  return attached->host;
}

// openHost(path, capacity, maxBuckets, bins, create) -> { arenaId, buffer, created }: maps the file
// (once per process; without `create`, only an existing, set-up one) and attaches it in this
// environment (once: the same id and buffer after that).
// The buffer is an external ArrayBuffer over the arena part; the core addresses the mapping
// itself, which lives as long as the process, so nothing done to the buffer can free it.
inline napi_value OpenHost(napi_env env, napi_callback_info info) {
  Call<5> call(env, info);
  char path[4096];
  size_t pathLength = 0;
  if (napi_get_value_string_utf8(env, call[0], path, sizeof path, &pathLength) != napi_ok) {
    return throwError(env, ErrorKind::Type, "openHost: path must be a string");
  }
  if (pathLength >= sizeof path - 1) return throwError(env, ErrorKind::Range, "openHost: path is too long");
  if (std::strlen(path) != pathLength) return throwError(env, ErrorKind::Type, "openHost: path holds a NUL byte");
  int32_t capacity, maxBuckets, bins;
  if (!call.int32In(1, "capacity", 1, int32_t(host::kMaxCapacity), capacity) ||
      !call.int32In(2, "maxBuckets", 1, int32_t(layout::kMaxBuckets), maxBuckets) ||
      !call.int32In(3, "bins", 0, int32_t(layout::kHistogramBins), bins)) {
    return nullptr;
  }
  if (bins != 0 && bins != int32_t(layout::kHistogramBins)) {
    return throwError(env, ErrorKind::Range, "openHost: bins must be 0 or %u", layout::kHistogramBins);
  }
  bool create = false;
  if (napi_get_value_bool(env, call[4], &create) != napi_ok) {
    return throwError(env, ErrorKind::Type, "openHost: create must be a boolean");
  }
  const host::OpenResult opened =
      host::openHostArena(path, uint32_t(capacity), uint32_t(maxBuckets), uint32_t(bins), create);
  if (!opened.arena) return throwError(env, ErrorKind::Plain, "%s", opened.error);
  EnvState& state = call.state();
  size_t id = 0;
  while (id < state.arenas.size() && state.arenas[id].host != opened.arena) ++id;
  if (id == state.arenas.size()) {
    napi_value buffer;
    if (napi_create_external_arraybuffer(env, opened.arena->arenaBase(), opened.arena->arenaByteLength(),
                                         nullptr, nullptr, &buffer) != napi_ok) {
      return nullptr;
    }
    state.arenas.push_back({opened.arena->arena(), Napi::Persistent(Napi::Value(env, buffer)), {}, opened.arena});
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("arenaId", double(id));
  result.Set("buffer", state.arenas[id].buffer.Value());
  result.Set("created", opened.created);
  return result;
}

// hostLookup(arenaId, key, config Float64Array[15]) -> slot * 2 + (1 when this call created it)
inline napi_value HostLookup(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  host::HostArena* arena = hostArenaArg(call.attachedArena(0), env);
  if (!arena) return nullptr;
  char key[host::kMaxKeyBytes + 1];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, call[1], nullptr, 0, &length) != napi_ok) {
    return throwError(env, ErrorKind::Type, "hostLookup: key must be a string");
  }
  if (length == 0 || length > host::kMaxKeyBytes) {
    return throwError(env, ErrorKind::Range, "hostLookup: key must be 1..%zu UTF-8 bytes, got %zu",
                      host::kMaxKeyBytes, length);
  }
  napi_get_value_string_utf8(env, call[1], key, sizeof key, &length);
  double* config = call.float64Array(2, "config", kConfigFieldCount);
  if (!config) return nullptr;
  const host::HostArena::Found found =
      arena->lookup(key, length, *reinterpret_cast<double(*)[kConfigFieldCount]>(config));
  if (found.slot < 0) {
    return throwError(env, ErrorKind::Range, "host arena is full: all %u entries name a breaker",
                      arena->arena().capacity());
  }
  return toJs(env, double(found.slot * 2 + (found.created ? 1 : 0)));
}

// hostEntry(arenaId, index, configOut Float64Array[15]) -> the key of directory entry `index`
// (filling configOut with the record its slot was last configured with), or null when it names nothing
inline napi_value HostEntry(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  host::HostArena* arena = hostArenaArg(call.attachedArena(0), env);
  int32_t index;
  double* out = arena && call.int32(1, "index", index) ? call.float64Array(2, "configOut", kConfigFieldCount)
                                                        : nullptr;
  if (!out) return nullptr;
  const char* key = nullptr;
  uint32_t length = 0;
  napi_value result;
  auto& config = *reinterpret_cast<double(*)[kConfigFieldCount]>(out);
  if (index < 0 || !arena->entryAt(uint32_t(index), key, length, config)) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_string_utf8(env, key, length, &result);
  return result;
}

// hostConfigVersions(arenaId, slots Int32Array, out Float64Array) -> nothing: out[i] = the config
// version of slots[i]'s directory entry, which every configure() of the slot in any process bumps
inline napi_value HostConfigVersions(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  host::HostArena* arena = hostArenaArg(call.attachedArena(0), env);
  size_t count = 0;
  const int32_t* slots = arena ? call.int32Array(1, "slots", &count) : nullptr;
  double* out = slots ? call.float64Array(2, "out", count) : nullptr;
  if (!out) return nullptr;
  for (size_t i = 0; i < count; ++i) out[i] = double(arena->configVersion(uint32_t(slots[i])));
  return nullptr;
}

// hostSyncLease(arenaId, staleMs, holder) -> 1 while `holder` (a registry of this process, 1..2^31-1)
// holds the host's control lease
inline napi_value HostSyncLease(napi_env env, napi_callback_info info) {
  Call<3> call(env, info);
  host::HostArena* arena = hostArenaArg(call.attachedArena(0), env);
  int32_t staleMs, holder;
  if (!arena || !call.int32In(1, "staleMs", 1, int32_t(kMaxPeriodMs), staleMs) ||
      !call.int32In(2, "holder", 1, INT32_MAX, holder)) {
    return nullptr;
  }
  const uint32_t now = uint32_t(monotonicNowUs() / 1000);
  return toJs(env, uint32_t{arena->holdSyncLease(now, uint32_t(staleMs), uint32_t(holder))});
}

// hostCut(arenaId) -> null while the file covers the whole mapping; else { fileBytes, sharedBytes,
// mappedBytes }: the file's size when this process last met it cut shorter, how many bytes of the
// mapping it still shares (cut_file_guard.h: the rest is private zero pages), and the mapping's size
inline napi_value HostCut(napi_env env, napi_callback_info info) {
  Call<1> call(env, info);
  host::HostArena* arena = hostArenaArg(call.attachedArena(0), env);
  if (!arena) return nullptr;
  const host::CutReading cut = arena->cut();
  if (cut.fileBytes < 0) {
    napi_value none;
    napi_get_null(env, &none);
    return none;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fileBytes", double(cut.fileBytes));
  result.Set("sharedBytes", double(cut.sharedBytes));
  result.Set("mappedBytes", double(cut.mappedBytes));
  return result;
}

#else

inline napi_value hostUnsupported(napi_env env, napi_callback_info) {
  return throwError(env, ErrorKind::Plain, "host arenas need POSIX shared memory, which this platform lacks");
}
constexpr napi_callback OpenHost = hostUnsupported;
constexpr napi_callback HostLookup = hostUnsupported;
constexpr napi_callback HostEntry = hostUnsupported;
constexpr napi_callback HostSyncLease = hostUnsupported;
constexpr napi_callback HostConfigVersions = hostUnsupported;
constexpr napi_callback HostCut = hostUnsupported;

#endif

}  // namespace breakwater::binding
