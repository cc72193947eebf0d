// Progress display (see progress.hpp).
#include "lab/core/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace gelu::lab {

std::string FormatDuration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lds", s);
  }
  return buf;
}

ProgressView::ProgressView(int runs_total, double epochs_total, bool live)
    : tty_(live && ::isatty(STDOUT_FILENO) == 1),
      runs_total_(runs_total),
      epochs_total_(epochs_total),
      start_(std::chrono::steady_clock::now()) {}

void ProgressView::Epoch(const RunSpec& run, const Progress& p) {
  epochs_done_ += 1;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%s dropout %g lr %g seed %d: epoch %d/%d, train loss %.4g, val %.4g",
                run.activation.c_str(), run.dropout, run.lr, run.seed, p.epoch, p.epochs,
                p.train_loss, p.val_metric);
  last_ = buf;
  Draw();
}

void ProgressView::Draw() {
  if (!tty_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string eta = "?";
  if (epochs_done_ > 0)
    eta = FormatDuration(elapsed / epochs_done_ * (epochs_total_ - epochs_done_));
  char line[512];
  std::snprintf(line, sizeof line, "[%d of %d runs done | ETA %s] %s", runs_done_, runs_total_,
                eta.c_str(), last_.c_str());
  // One terminal line, never wrapped (a wrapped line would not be erased by the next update).
  winsize ws{};
  std::size_t width = 100;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
    width = static_cast<std::size_t>(ws.ws_col) - 1;
  std::string text = line;
  if (text.size() > width) text.resize(width);
  std::printf("\r\033[K%s", text.c_str());
  std::fflush(stdout);
}

void ProgressView::RunFinished(const RunSpec& run, const Rows& rows, double seconds) {
  ++runs_done_;
  const Row* test = nullptr;
  bool diverged = false;
  for (const Row& r : rows) {
    if (r.split == "test") test = &r;
    diverged = diverged || r.diverged;
  }
  if (tty_) std::printf("\r\033[K");
  std::printf("[%d/%d] %s: ", runs_done_, runs_total_, run.id.c_str());
  if (diverged) {
    std::printf("diverged (NaN or inf loss) at epoch %d", rows.empty() ? 0 : rows.back().epoch);
  } else if (test != nullptr) {
    if (test->error) std::printf("test error %.4f, ", *test->error);
    std::printf("test loss %.4g", test->loss);
    if (test->noise) std::printf(" at noise %g", *test->noise);
  }
  if (test != nullptr && test->noise) {  // an evaluation, not training: no epochs to time
    std::printf(" (%s)\n", FormatDuration(seconds).c_str());
  } else {
    std::printf(" (%s, %.2f s/epoch)\n", FormatDuration(seconds).c_str(),
                seconds / std::max(1, run.epochs));
  }
  std::fflush(stdout);
  Draw();
}

void ProgressView::Note(const std::string& line) {
  if (tty_) std::printf("\r\033[K");
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  Draw();
}

void ProgressView::Dropped(const RunSpec& run) {
  runs_total_ = std::max(0, runs_total_ - 1);
  epochs_total_ = std::max(0.0, epochs_total_ - run.epochs);
}

void ProgressView::Done() {
  if (tty_) std::printf("\r\033[K");
  std::fflush(stdout);
}

}  // namespace gelu::lab
