// Deterministic single-threaded checks of the core against LAYOUT.md (unit_windows.cc,
// unit_states.cc), plus the coarse clock's park/wake protocol.
#include <chrono>
#include <thread>

#include "check.h"
#include "core/coarse_clock.h"
#include "unit_support.h"

namespace {

using namespace breakwater;
using namespace breakwater::test;

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

void coarseClock() {
  using namespace std::chrono_literals;
  // Deliberately leaked, like CoarseClock::shared(): its detached thread outlives this test.
  static CoarseClock* const clock = new CoarseClock({std::chrono::microseconds(1000), 40ms});
  static ClockPage pages[2];
  const auto word = [](ClockPage& page, ClockPage::Word w) {
    return atomic(page.words[w]).load(kAcquire);
  };
  const auto freshNow = [&](ClockPage& page) {
    const auto lag = int32_t(toMs32(monotonicNowUs()) - uint32_t(word(page, ClockPage::kNowMs32)));
    return lag >= 0 && lag <= 50;
  };

  clock->registerPage(&pages[0]);
  CHECK_EQ(word(pages[0], ClockPage::kParked), 1);
  clock->wake();
  CHECK(eventually([&] { return word(pages[0], ClockPage::kParked) == 0; }, 2000ms));
  CHECK(freshNow(pages[0]));

  clock->registerPage(&pages[1]);
  CHECK_EQ(word(pages[1], ClockPage::kParked), 0);
  // Demand keeps it ticking well past the idle limit.
  const auto until = std::chrono::steady_clock::now() + 120ms;
  bool stayedAwake = true;
  while (std::chrono::steady_clock::now() < until) {
    atomic(pages[1].words[ClockPage::kDemand]).store(1, kRelaxed);
    std::this_thread::sleep_for(5ms);
    stayedAwake = stayedAwake && word(pages[0], ClockPage::kParked) == 0;
  }
  CHECK(stayedAwake);
  CHECK(freshNow(pages[1]));

  CHECK(eventually([&] { return word(pages[1], ClockPage::kParked) == 1; }, 2000ms));
  CHECK_EQ(word(pages[0], ClockPage::kParked), 1);

  clock->unregisterPage(&pages[0]);
  const int32_t frozen = word(pages[0], ClockPage::kNowMs32);
  clock->wake();
  CHECK(eventually([&] { return word(pages[1], ClockPage::kParked) == 0; }, 2000ms));
  std::this_thread::sleep_for(10ms);
  CHECK(freshNow(pages[1]));
  CHECK_EQ(word(pages[0], ClockPage::kNowMs32), frozen);
  clock->unregisterPage(&pages[1]);
}

}  // namespace

int main() {
  breakwater::test::windowChecks();
  breakwater::test::stateChecks();
  coarseClock();
  return breakwater::test::finish("unit");
}
