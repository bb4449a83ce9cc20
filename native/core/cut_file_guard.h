// Host arena files cut shorter under a live mapping. Touching a page of a shared file mapping
// past the file's end raises SIGBUS, which would kill every process using the arena the moment
// any program of its owner truncates the file. A process-wide SIGBUS handler turns that fault,
// for the mappings registered here only, into private zero pages over the part past the end:
// the access is retried and succeeds, this process's breakers go on there on their own, and the
// cut is recorded for the registry to report. Every other SIGBUS goes to the handler installed
// before (or the default action).
#pragma once

#if defined(__unix__) || defined(__APPLE__)

#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace breakwater::host {

// Mappings are never unmapped, so a slot of this table, once filled, stays valid.
constexpr size_t kMaxGuardedMappings = 256;

struct GuardedMapping {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<int> fd{-1};  // the file, kept open to read its size from the handler
  // Where this process's private pages begin (claimed, then placed); `end` while the whole
  // mapping is the file's.
  std::atomic<uintptr_t> privateFrom{0};
  std::atomic<uintptr_t> placedFrom{0};
  std::atomic<int64_t> fileBytesAtCut{-1};  // the file's size the last time a cut was met
};

struct CutFileGuard {
  GuardedMapping mappings[kMaxGuardedMappings];
  std::atomic<size_t> count{0};
  uintptr_t pageBytes = 0;
  struct sigaction previous {};
};

inline CutFileGuard& cutFileGuard() noexcept {
  static CutFileGuard guard;
  return guard;
}

// Hands a SIGBUS that is not ours on: to the handler before ours, else the default action.
inline void passOnBus(int signal, siginfo_t* info, void* context) noexcept {
  const struct sigaction& previous = cutFileGuard().previous;
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
    return;
  }
  // Default action: re-raised, delivered once this handler returns (a fault would recur anyway).
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(signal, &fallback, nullptr);
  raise(signal);
}

// Async-signal-safe: atomics, fstat and mmap only.
inline void onBus(int signal, siginfo_t* info, void* context) noexcept {
  CutFileGuard& guard = cutFileGuard();
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  const size_t count = guard.count.load(std::memory_order_acquire);
  for (size_t i = 0; i < count; ++i) {
    GuardedMapping& mapping = guard.mappings[i];
    const uintptr_t begin = mapping.begin.load(std::memory_order_acquire);
    const uintptr_t end = mapping.end.load(std::memory_order_acquire);
    if (address < begin || address >= end) continue;
    struct stat file {};
    const int64_t fileBytes = fstat(mapping.fd.load(std::memory_order_acquire), &file) == 0 ? file.st_size : 0;
    mapping.fileBytesAtCut.store(fileBytes, std::memory_order_release);
    const uintptr_t page = address & ~(guard.pageBytes - 1);
    const uintptr_t fileEnd = begin + ((uintptr_t(fileBytes) + guard.pageBytes - 1) & ~(guard.pageBytes - 1));
    // The page is inside the file (it grew back since, or tmpfs had no page to give): that page alone.
    uintptr_t from = page;
    uintptr_t to = page + guard.pageBytes;
    const bool tail = page >= fileEnd;
    if (tail) {
      // Everything from the file's end on, once: a thread that faults there meanwhile waits
      // until the pages are in, and writes made to them since are never zeroed again.
      from = fileEnd;
      to = mapping.privateFrom.load(std::memory_order_acquire);
      while (page < to && !mapping.privateFrom.compare_exchange_weak(to, from, std::memory_order_acq_rel)) {
      }
      if (page >= to) {
        while (mapping.placedFrom.load(std::memory_order_acquire) > page) {
        }
        return;
      }
    }
    const void* placed = mmap(reinterpret_cast<void*>(from), to - from, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (placed == MAP_FAILED) break;
    if (tail) mapping.placedFrom.store(from, std::memory_order_release);
    return;
  }
  passOnBus(signal, info, context);
}

// Registers a mapping of `fd`'s file (the guard keeps `fd`), installing the handler with the
// first, and returns its index for readCut(); -1 when the table is full. Callers serialise calls.
inline int64_t guardMapping(void* base, size_t bytes, int fd) noexcept {
  CutFileGuard& guard = cutFileGuard();
  const size_t index = guard.count.load(std::memory_order_relaxed);
  if (index == kMaxGuardedMappings) return -1;
  if (index == 0) {
    guard.pageBytes = uintptr_t(sysconf(_SC_PAGESIZE));
    struct sigaction action {};
    action.sa_sigaction = onBus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &guard.previous) != 0) return -1;
  }
  GuardedMapping& mapping = guard.mappings[index];
  const uintptr_t begin = reinterpret_cast<uintptr_t>(base);
  mapping.fd.store(fd, std::memory_order_relaxed);
  mapping.begin.store(begin, std::memory_order_relaxed);
  mapping.end.store(begin + bytes, std::memory_order_relaxed);
  mapping.privateFrom.store(begin + bytes, std::memory_order_relaxed);
  mapping.placedFrom.store(begin + bytes, std::memory_order_relaxed);
  guard.count.store(index + 1, std::memory_order_release);
  return int64_t(index);
}

// The file's size when a cut was last met in mapping `index` (-1: never), how many bytes of the
// mapping, from its start, are still the file's, and the mapping's size.
struct CutReading {
  int64_t fileBytes;
  size_t sharedBytes;
  size_t mappedBytes;
};

inline CutReading readCut(size_t index) noexcept {
  const GuardedMapping& mapping = cutFileGuard().mappings[index];
  const uintptr_t begin = mapping.begin.load(std::memory_order_relaxed);
  return {mapping.fileBytesAtCut.load(std::memory_order_acquire),
          size_t(mapping.privateFrom.load(std::memory_order_acquire) - begin),
          size_t(mapping.end.load(std::memory_order_relaxed) - begin)};
}

}  // namespace breakwater::host

#endif
