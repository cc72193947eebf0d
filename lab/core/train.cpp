// The one training loop of the lab, written once against Task (lab/core/task.hpp), and ExecuteRun,
// which either trains a run or evaluates the trained model it reuses. A run whose loss turns NaN
// or infinite stops there and is a finished, valid result marked diverged.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "lab/core/error.hpp"
#include "lab/core/experiment.hpp"
#include "lab/core/model.hpp"
#include "lab/core/task.hpp"

namespace gelu::lab {
namespace fs = std::filesystem;
using ::torch::Tensor;

namespace {

fs::path ModelFile(const fs::path& out_dir, const std::string& run_id) {
  return out_dir / "models" / (run_id + ".pt");
}

std::shared_ptr<Network> MakeNetwork(const Experiment& exp, const RunSpec& run,
                                     const Dataset& data) {
  return exp.model(
      ModelOptions{run.activation, 1.0 - run.dropout, data.train.features, data.classes});
}

Rows EvaluateReused(const RunContext& ctx) {
  const Experiment* source = Registry::Find(ctx.experiment.reuses);
  if (source == nullptr) throw LabError(ctx.experiment.name + ": unknown experiment to reuse");
  const fs::path file = ModelFile(ctx.out_dir, ctx.run.model_from);
  if (!fs::is_regular_file(file)) {
    throw LabError(file.string() + ": trained model missing; hint: delete " +
                   RunFile(ctx.out_dir, ctx.run.model_from).string() + " and rerun to retrain it");
  }
  auto model = MakeNetwork(*source, ctx.run, ctx.data);
  LoadNetwork(*model, file);
  Rows rows = ctx.experiment.task->EvaluateTrained(*model, ctx);
  if (ctx.progress && !rows.empty()) {
    ctx.progress(Progress{ctx.run.epochs, ctx.run.epochs, 0.0, rows.front().loss});
  }
  return rows;
}

Rows Train(const RunContext& ctx) {
  const RunSpec& run = ctx.run;
  const Experiment& exp = ctx.experiment;
  const Task& task = *exp.task;
  ::torch::manual_seed(static_cast<std::uint64_t>(run.seed));
  const double keep = 1.0 - run.dropout;
  auto model = MakeNetwork(exp, run, ctx.data);
  model->SeedDropout(static_cast<std::uint64_t>(run.seed));
  model->train();
  FusedAdam opt(model->parameters(),
                AdamHyper{run.lr, exp.train.beta1, exp.train.beta2, exp.train.eps});
  const Tensor xtr = Inputs(ctx.data.train), ytr = Labels(ctx.data.train);
  const auto batch = static_cast<std::int64_t>(exp.train.batch);
  const std::int64_t steps = xtr.size(0) / batch;  // the remainder is dropped, as TF's next_batch
  if (steps == 0) {
    throw LabError("the training set (" + std::to_string(xtr.size(0)) +
                   " examples) is smaller than one batch (" + std::to_string(batch) + ")");
  }
  const bool eval_pass = keep < 1.0 && exp.train.log_without_dropout;
  std::vector<std::int64_t> order(static_cast<std::size_t>(xtr.size(0)));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(static_cast<std::uint64_t>(run.seed));
  Rows rows;
  for (int epoch = 1; epoch <= run.epochs; ++epoch) {
    if (epoch > 1) {  // TF 0.x's DataSet: first epoch in file order, then reshuffled each epoch
      for (std::size_t i = order.size() - 1; i > 0; --i) {
        std::swap(order[i], order[static_cast<std::size_t>(rng() % (i + 1))]);
      }
    }
    double loss_sum = 0;
    std::int64_t wrong = 0, done = 0;
    for (std::int64_t s = 0; s < steps && std::isfinite(loss_sum); ++s) {
      const Tensor idx = ::torch::from_blob(order.data() + s * batch, {batch}, ::torch::kInt64);
      const Batch b{xtr.index_select(0, idx), ytr.defined() ? ytr.index_select(0, idx) : Tensor()};
      if (eval_pass) {  // the paper logs a dropout-off pass on the minibatch, before the update
        ::torch::NoGradGuard no_grad;
        model->eval();
        const Tensor out = model->forward(b.x);
        loss_sum += task.Loss(out, b).item<double>();
        wrong += task.Wrong(out, b);
        model->train();
      }
      const Tensor out = model->forward(b.x);
      const Tensor loss = task.Loss(out, b);
      const double value = loss.item<double>();
      ++done;
      if (!std::isfinite(value)) {  // diverged: no update from a NaN/inf gradient
        loss_sum = value;
        break;
      }
      opt.ZeroGrad();
      loss.backward();
      opt.Step();
      if (!eval_pass) {
        loss_sum += value;
        wrong += task.Wrong(out.detach(), b);
      }
    }
    Eval train;
    train.loss = loss_sum / static_cast<double>(done);
    if (task.has_error()) {
      train.error = static_cast<double>(wrong) / static_cast<double>(done * batch);
    }
    rows.push_back(MakeRow(ctx, epoch, "train", train));
    bool diverged = rows.back().diverged;
    double shown = train.loss;
    for (const auto& [name, split] : {std::pair{"val", &ctx.data.val}, {"test", &ctx.data.test}}) {
      if (split->size() == 0) continue;
      // A diverged network's evaluation would only print NaN: its rows say "diverged" instead.
      const Eval e = diverged ? Eval{std::nan(""), std::nullopt}
                              : Evaluate(*model, task, Inputs(*split), Labels(*split));
      rows.push_back(MakeRow(ctx, epoch, name, e));
      diverged = diverged || rows.back().diverged;
      if (std::string(name) == "val" || ctx.data.val.size() == 0) shown = e.error.value_or(e.loss);
    }
    if (ctx.progress) ctx.progress(Progress{epoch, run.epochs, train.loss, shown});
    if (diverged) break;
  }
  if (Registry::ModelsReused(exp.name)) SaveNetwork(*model, ModelFile(ctx.out_dir, run.id));
  return rows;
}

}  // namespace

Rows ExecuteRun(const RunContext& ctx) {
  SetComputeThreads(ctx.threads, ctx.flush_denormals);
  return ctx.experiment.task->trains() ? Train(ctx) : EvaluateReused(ctx);
}

}  // namespace gelu::lab
