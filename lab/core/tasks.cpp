// The tasks (see tasks.hpp and task.hpp) and the evaluation routine they share.
#include "lab/core/tasks.hpp"

#include <algorithm>
#include <cmath>

#include "lab/core/error.hpp"
#include "lab/core/task.hpp"

namespace gelu::lab {
namespace fs = std::filesystem;
using ::torch::Tensor;

namespace {

constexpr std::int64_t kEvalChunk = 5000;  // rows per evaluation forward pass

class Classify : public Task {
 public:
  const char* kind() const override { return "classify"; }
  const char* loss_name() const override { return "log loss"; }
  bool has_error() const override { return true; }
  Tensor Loss(const Tensor& out, const Batch& b) const override {
    return ::torch::nn::functional::cross_entropy(out, b.y);
  }
  std::int64_t Wrong(const Tensor& out, const Batch& b) const override {
    return out.argmax(1).ne(b.y).sum().item<std::int64_t>();
  }
};

class Reconstruct : public Task {
 public:
  const char* kind() const override { return "reconstruct"; }
  const char* loss_name() const override { return "MSE"; }
  bool has_error() const override { return false; }
  Tensor Loss(const Tensor& out, const Batch& b) const override {
    return ::torch::mse_loss(out, b.x);  // mean over batch x features, as the paper's code
  }
  std::int64_t Wrong(const Tensor& /*out*/, const Batch& /*b*/) const override { return 0; }
};

class Noise : public Task {
 public:
  Noise(TaskPtr base, std::vector<double> levels, std::uint64_t seed)
      : base_(std::move(base)), levels_(std::move(levels)), seed_(seed) {}
  const char* kind() const override { return "perturb"; }
  const char* loss_name() const override { return base_->loss_name(); }
  bool has_error() const override { return base_->has_error(); }
  bool trains() const override { return false; }
  Tensor Loss(const Tensor& out, const Batch& b) const override { return base_->Loss(out, b); }
  std::int64_t Wrong(const Tensor& out, const Batch& b) const override {
    return base_->Wrong(out, b);
  }
  Rows EvaluateTrained(Network& model, const RunContext& ctx) const override {
    const Tensor x = Inputs(ctx.data.test), y = Labels(ctx.data.test);
    ::torch::manual_seed(seed_ + static_cast<std::uint64_t>(ctx.run.seed));
    const Tensor u = ::torch::rand_like(x).mul_(2.0).sub_(1.0);
    Rows rows;
    for (const double a : levels_) {
      Row r = MakeRow(ctx, ctx.run.epochs, "test", Evaluate(model, *base_, x + a * u, y));
      r.noise = a;
      rows.push_back(r);
    }
    return rows;
  }

 private:
  TaskPtr base_;
  std::vector<double> levels_;
  std::uint64_t seed_;
};

}  // namespace

Rows Task::EvaluateTrained(Network& /*model*/, const RunContext& ctx) const {
  throw LabError(ctx.experiment.name + ": its task (" + kind() + ") trains; it has no evaluation " +
                 "of reused models");
}

TaskInfo Describe(const TaskPtr& task) {
  if (task == nullptr) throw LabError("an experiment without a task; hint: set Experiment::task");
  return TaskInfo{task->kind(), task->loss_name(), task->has_error(), task->trains()};
}

TaskPtr ClassifyTask() { return std::make_shared<Classify>(); }
TaskPtr ReconstructTask() { return std::make_shared<Reconstruct>(); }
TaskPtr NoiseTask(TaskPtr base, std::vector<double> levels, std::uint64_t noise_seed) {
  return std::make_shared<Noise>(std::move(base), std::move(levels), noise_seed);
}

Tensor Inputs(const Split& s) {
  return ::torch::from_blob(
      const_cast<float*>(s.inputs.data()),
      {static_cast<std::int64_t>(s.size()), static_cast<std::int64_t>(s.features)},
      ::torch::kFloat32);
}

Tensor Labels(const Split& s) {
  if (s.labels.empty()) return {};
  return ::torch::from_blob(const_cast<std::uint8_t*>(s.labels.data()),
                            {static_cast<std::int64_t>(s.size())}, ::torch::kUInt8)
      .to(::torch::kInt64);
}

Eval Evaluate(Network& model, const Task& task, const Tensor& x, const Tensor& y) {
  ::torch::NoGradGuard no_grad;
  model.eval();
  const std::int64_t n = x.size(0);
  double loss = 0;
  std::int64_t wrong = 0;
  for (std::int64_t b = 0; b < n; b += kEvalChunk) {
    const std::int64_t e = std::min(n, b + kEvalChunk);
    const Batch batch{x.slice(0, b, e), y.defined() ? y.slice(0, b, e) : Tensor()};
    const Tensor out = model.forward(batch.x);
    loss += task.Loss(out, batch).item<double>() * static_cast<double>(e - b);
    wrong += task.Wrong(out, batch);
  }
  model.train();
  Eval r;
  r.loss = loss / static_cast<double>(n);
  if (task.has_error() && std::isfinite(r.loss)) {
    r.error = static_cast<double>(wrong) / static_cast<double>(n);
  }
  return r;
}

Row MakeRow(const RunContext& ctx, int epoch, const char* split, const Eval& e) {
  Row r;
  r.experiment = ctx.run.experiment;
  r.activation = ctx.run.activation;
  r.lr = ctx.run.lr;
  r.dropout = ctx.run.dropout;
  r.seed = ctx.run.seed;
  r.epoch = epoch;
  r.epochs = ctx.run.epochs;
  r.train_limit = ctx.run.train_limit;
  r.validation = ctx.run.validation;
  r.split = split;
  r.diverged = !std::isfinite(e.loss);
  r.loss = e.loss;
  if (!r.diverged) r.error = e.error;
  r.data = ctx.data.name;
  r.data_fingerprint = ctx.data.fingerprint;
  r.run = ctx.run.id;
  return r;
}

}  // namespace gelu::lab
