// A process-wide 1 ms clock for JavaScript. A background thread writes nowMs32 into every
// registered clock page (one per Node environment) so JS can reject calls on an OPEN circuit
// with a plain load instead of a ~40 ns call into the clock. With it goes the era word
// (ms >> 20), which tells JS whether a deadline it checked is recent enough to compare serially.
//
// The thread runs only while there is demand: JS sets a page's demand flag when it used the
// page, and after `idleBeforePark` without demand the thread raises every page's parked flag
// (telling JS the time is stale) and blocks. wake() is the hot-path hook: one relaxed load
// while running, one notify per park cycle.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "atomic_ref.h"
#include "clock.h"

namespace breakwater {

struct alignas(16) ClockPage {
  enum Word { kNowMs32 = 0, kParked = 1, kDemand = 2, kEra = 3 };
  int32_t words[4] = {0, 1, 0, 0};
};

class CoarseClock {
 public:
  struct Options {
    std::chrono::microseconds tick{1000};
    std::chrono::microseconds idleBeforePark{1000000};
  };

  // Never destroyed: the detached thread may still be running while statics are torn down.
  static CoarseClock& shared() {
    static CoarseClock* const instance = new CoarseClock(Options{});
    return *instance;
  }

  // The thread keeps a pointer to the clock, so an instance must outlive the process.
  explicit CoarseClock(Options options) : options_(options) {}
  CoarseClock(const CoarseClock&) = delete;
  CoarseClock& operator=(const CoarseClock&) = delete;

  // Starts the thread (parked) on first use. The page must stay valid until unregistered.
  void registerPage(ClockPage* page) {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t nowUs = monotonicNowUs();
    relaxedStore(page->words[ClockPage::kNowMs32], int32_t(toMs32(nowUs)));
    relaxedStore(page->words[ClockPage::kEra], toEra(nowUs));
    relaxedStore(page->words[ClockPage::kDemand], 0);
    atomic(page->words[ClockPage::kParked]).store(ticking_ ? 0 : 1, kRelease);
    pages_.push_back(page);
    if (!started_) {
      // Parked from the start, so a wake() racing the new thread's start-up is not lost.
      started_ = true;
      parked_.store(true, std::memory_order_release);
      std::thread([this] { run(); }).detach();
    }
  }

  // After this returns the thread never touches the page again.
  void unregisterPage(ClockPage* page) {
    std::lock_guard<std::mutex> lock(mutex_);
    pages_.erase(std::remove(pages_.begin(), pages_.end(), page), pages_.end());
  }

  void wake() noexcept {
    if (parked_.load(std::memory_order_relaxed) &&
        parked_.exchange(false, std::memory_order_acq_rel)) {
      std::lock_guard<std::mutex> lock(mutex_);
      wakeup_.notify_one();
    }
  }

 private:
  using Clock = std::chrono::steady_clock;

  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    resumeWhenWoken(lock);
    Clock::time_point lastDemand = Clock::now();
    Clock::time_point nextTick = lastDemand;
    for (;;) {
      const Clock::time_point now = Clock::now();
      if (publishNow(/*consumeDemand=*/true)) {
        lastDemand = now;
      } else if (now - lastDemand >= options_.idleBeforePark) {
        park(lock);
        lastDemand = nextTick = Clock::now();
        continue;
      }
      // Tick on a fixed cadence, but do not burst to catch up after a stall.
      nextTick = std::max(nextTick + options_.tick, now);
      lock.unlock();
      std::this_thread::sleep_until(nextTick);
      lock.lock();
    }
  }

  // Writes the time into every page; returns whether any page showed demand since last time.
  bool publishNow(bool consumeDemand) {
    const int64_t nowUs = monotonicNowUs();
    const int32_t now32 = int32_t(toMs32(nowUs));
    const int32_t era = toEra(nowUs);
    bool demand = false;
    for (ClockPage* page : pages_) {
      relaxedStore(page->words[ClockPage::kNowMs32], now32);
      relaxedStore(page->words[ClockPage::kEra], era);
      int32_t& flag = page->words[ClockPage::kDemand];
      if (consumeDemand && relaxedLoad(flag) != 0) {
        relaxedStore(flag, 0);
        demand = true;
      }
    }
    return demand;
  }

  void setParkedFlags(int32_t parked) {
    for (ClockPage* page : pages_) atomic(page->words[ClockPage::kParked]).store(parked, kRelease);
  }

  void park(std::unique_lock<std::mutex>& lock) {
    ticking_ = false;
    setParkedFlags(1);
    parked_.store(true, std::memory_order_release);
    resumeWhenWoken(lock);
  }

  void resumeWhenWoken(std::unique_lock<std::mutex>& lock) {
    wakeup_.wait(lock, [this] { return !parked_.load(std::memory_order_acquire); });
    // Fresh time first: a page that reads "not parked" must already hold a current time.
    publishNow(/*consumeDemand=*/false);
    setParkedFlags(0);
    ticking_ = true;
  }

  const Options options_;
  std::mutex mutex_;  // guards pages_, started_, ticking_ and the page writes
  std::condition_variable wakeup_;
  std::vector<ClockPage*> pages_;
  bool started_ = false;
  bool ticking_ = false;
  std::atomic<bool> parked_{false};
};

}  // namespace breakwater
