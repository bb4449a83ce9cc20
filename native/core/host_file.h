// A host arena's file (LAYOUT.md "Host arenas", "Set-up"): made, sized and reserved, its headers
// written and checked, and mapped once per process under flock, the only lock host arenas take
// (the kernel drops it when its holder dies). Each mapping is guarded against the file being cut
// shorter under it (cut_file_guard.h).
#pragma once

#include "host_arena.h"

#ifdef BREAKWATER_HOST_ARENAS

#include <sys/file.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "cut_file_guard.h"

namespace breakwater::host {

struct OpenResult {
  HostArena* arena = nullptr;  // null on failure, with `error` saying why
  bool created = false;
  char error[1024] = {};
};

inline void fail(OpenResult& result, const char* format, ...) __attribute__((format(printf, 2, 3)));
inline void fail(OpenResult& result, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(result.error, sizeof result.error, format, args);
  va_end(args);
}

// Gives a fresh file every page it will use, or an error number. A tmpfs (/dev/shm) hands out
// pages on first touch, and a full one then kills the toucher with SIGBUS, mid-call, in any
// process of the host; reserving up front turns that into an error at open. Fresh files only:
// the fallback of posix_fallocate writes zeros, which would race live writers.
inline int reserve(int fd, size_t bytes) {
#if defined(__APPLE__)
  static const char zeros[1 << 16] = {};
  for (size_t offset = 0; offset < bytes; offset += sizeof zeros) {
    const size_t length = std::min(sizeof zeros, bytes - offset);
    if (pwrite(fd, zeros, length, off_t(offset)) != ssize_t(length)) return errno;
  }
  return 0;
#else
  return posix_fallocate(fd, 0, off_t(bytes));
#endif
}

// Writes a fresh file's headers; `ready` last, so a set-up cut short is redone by the next opener.
inline void initialize(std::byte* base, uint32_t capacity, uint32_t maxBuckets, uint32_t bins) {
  auto& host = *reinterpret_cast<HostHeader*>(base);
  host.magic = kHostMagic;
  host.version = kHostVersion;
  host.arenaVersion = layout::kVersion;
  host.capacity = capacity;
  host.entryBytes = kEntryBytes;
  host.arenaBytes = arenaBytes(capacity, maxBuckets, bins);
  host.totalBytes = totalBytes(capacity, maxBuckets, bins);
  auto& arena = *reinterpret_cast<ArenaHeader*>(base + kHostHeaderBytes);
  writeArenaHeader(arena, capacity, maxBuckets, bins, ClockMode::Monotonic);
  arena.nextFreeSlot = capacity;  // slots are the directory's to hand out
  atomic(host.ready).store(1, kRelease);
}

// Checks a set-up file's headers against this build; an empty string when it can be used.
inline void checkHeaders(OpenResult& result, const char* path, std::byte* base, size_t fileBytes) {
  const auto& host = *reinterpret_cast<const HostHeader*>(base);
  if (host.magic != kHostMagic) {
    return fail(result, "%s is not a breakwater host arena (magic 0x%llx, expected 0x%llx)", path,
                static_cast<unsigned long long>(host.magic), static_cast<unsigned long long>(kHostMagic));
  }
  if (host.version != kHostVersion || host.arenaVersion != layout::kVersion) {
    return fail(result,
                "%s has host layout %u with arena layout %u; this build reads host layout %u with arena "
                "layout %u (stop the processes using it and delete it, or run one breakwater version)",
                path, host.version, host.arenaVersion, kHostVersion, layout::kVersion);
  }
  if (host.entryBytes != kEntryBytes || host.capacity == 0 || host.capacity > kMaxCapacity ||
      host.totalBytes != fileBytes || host.totalBytes < kHostHeaderBytes + host.arenaBytes) {
    return fail(result, "%s is corrupt: %zu bytes, its header says %llu (capacity %u)", path, fileBytes,
                static_cast<unsigned long long>(host.totalBytes), host.capacity);
  }
  const ArenaCheck check = Arena::validate(base + kHostHeaderBytes, size_t(host.arenaBytes));
  if (!check.ok()) {
    return fail(result, "%s holds an invalid arena: %s (got %llu, expected %llu)", path, describe(check.problem),
                static_cast<unsigned long long>(check.actual), static_cast<unsigned long long>(check.expected));
  }
  const auto& arena = *reinterpret_cast<const ArenaHeader*>(base + kHostHeaderBytes);
  if (arena.capacity != host.capacity ||
      host.totalBytes != totalBytes(arena.capacity, arena.maxBuckets, arena.bins)) {
    return fail(result, "%s is corrupt: its host and arena headers disagree on its size", path);
  }
}

// Maps the host arena at `path`, creating it (0600, this user) with the given geometry when it
// does not exist; an existing file keeps its own geometry. One mapping per file per process.
// Without `create` (a handle naming its arena) only a set-up arena is mapped: a missing, empty or
// half-made file is refused, never made or written, whatever path the handle names.
inline OpenResult openHostArena(const char* path, uint32_t capacity, uint32_t maxBuckets, uint32_t bins,
                                bool create = true) {
  static std::mutex mutex;
  // Never destroyed, like the mappings it lists: threads may use them until the process is gone.
  static auto* mapped = new std::vector<HostArena*>();
  OpenResult result;
  const int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
  if (fd < 0) {
    fail(result, "cannot open %s: %s", path, strerror(errno));
    return result;
  }
  struct Closer {
    int fd;
    // Unlock first: the mapping keeps the open file, and with it a lock that closing would leave.
    ~Closer() {
      flock(fd, LOCK_UN);
      close(fd);
    }
  } closer{fd};
  // Set-up only: a dead holder's lock is released by the kernel; a stopped one makes us give up.
  const Waiting waiting;
  Patience setUp(waiting, kSetUpNs);
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      fail(result, "cannot lock %s for set-up: %s", path, strerror(errno));
      return result;
    }
    if (setUp.over()) {
      fail(result, "%s stayed locked for set-up by another process for 5 s (is one stopped?)", path);
      return result;
    }
    setUp.pause();
  }
  struct stat info;
  if (fstat(fd, &info) != 0) {
    fail(result, "cannot stat %s: %s", path, strerror(errno));
    return result;
  }
  if (!S_ISREG(info.st_mode)) {
    fail(result, "%s is not a regular file", path);
    return result;
  }
  if (info.st_uid != geteuid()) {
    fail(result, "%s belongs to uid %u, not to this process's uid %u", path, unsigned(info.st_uid),
         unsigned(geteuid()));
    return result;
  }
  if ((info.st_mode & 07777) != 0600) {
    fail(result, "%s has mode %o, expected 0600 (only its owner may read or write it)", path,
         unsigned(info.st_mode & 07777));
    return result;
  }
  std::lock_guard<std::mutex> guard(mutex);
  for (HostArena* arena : *mapped) {
    if (arena->sameFile(info.st_dev, info.st_ino)) {
      result.arena = arena;
      return result;
    }
  }
  size_t bytes = size_t(info.st_size);
  bool fresh = bytes == 0;
  if (!fresh && bytes >= kHostHeaderBytes) {
    // A set-up cut short (its creator died) left zeros, or our magic without `ready`: redo it.
    HostHeader probe;
    if (pread(fd, &probe, sizeof probe, 0) == ssize_t(sizeof probe) && probe.ready == 0) {
      const auto* raw = reinterpret_cast<const unsigned char*>(&probe);
      fresh = probe.magic == kHostMagic ||
              std::all_of(raw, raw + sizeof probe, [](unsigned char byte) { return byte == 0; });
    }
  }
  if (fresh && !create) {
    fail(result, "%s holds no host arena (empty, or its set-up never finished)", path);
    return result;
  }
  if (fresh) {
    bytes = totalBytes(capacity, maxBuckets, bins);
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, off_t(bytes)) != 0) {
      fail(result, "cannot size %s to %zu bytes: %s", path, bytes, strerror(errno));
      return result;
    }
    if (const int error = reserve(fd, bytes); error != 0) {
      [[maybe_unused]] const int emptied = ftruncate(fd, 0);  // an empty file is fresh to the next opener
      fail(result,
           "cannot reserve %zu bytes for %s: %s (host.capacity %u, host.maxBuckets %u%s: lower them, or give "
           "its file system more room, e.g. docker run --shm-size)",
           bytes, path, strerror(error), capacity, maxBuckets, bins == 0 ? "" : ", latency histograms on");
      return result;
    }
  } else if (bytes < kHostHeaderBytes) {
    fail(result, "%s is %zu bytes, shorter than a host arena's %zu-byte header", path, bytes, kHostHeaderBytes);
    return result;
  }
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    fail(result, "cannot map %s: %s", path, strerror(errno));
    return result;
  }
  auto* bytesAt = static_cast<std::byte*>(base);
  if (fresh) initialize(bytesAt, capacity, maxBuckets, bins);
  checkHeaders(result, path, bytesAt, bytes);
  if (result.error[0] != 0) {
    munmap(base, bytes);
    return result;
  }
  // Guarded before any breaker uses it: the file cut shorter later costs private pages, not the process.
  const int kept = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  const int64_t guarded = kept < 0 ? -1 : guardMapping(base, bytes, kept);
  if (guarded < 0) {
    if (kept >= 0) close(kept);
    munmap(base, bytes);
    fail(result, "cannot guard the mapping of %s: %s", path,
         kept < 0 ? strerror(errno) : "this process maps 256 host arena files already");
    return result;
  }
  result.arena = new HostArena(bytesAt, info.st_dev, info.st_ino, size_t(guarded));
  result.created = fresh;
  mapped->push_back(result.arena);
  return result;
}

}  // namespace breakwater::host

#endif  // BREAKWATER_HOST_ARENAS
