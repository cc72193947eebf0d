// The Task interface (torch side of lab/core/tasks.hpp): a run's loss and metrics, and the one
// evaluation routine every task and the training loop share. Only the lab's torch TUs include it.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lab/core/experiment.hpp"
#include "lab/core/model.hpp"

namespace gelu::lab {

// A minibatch: inputs [n, features] float32 and, for labelled data, labels [n] int64 (else an
// undefined tensor).
struct Batch {
  ::torch::Tensor x, y;
};

// The loss and metric of a split, averaged over its examples.
struct Eval {
  double loss = 0;
  std::optional<double> error;  // only for tasks with an error metric
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const char* kind() const = 0;       // experiments.json "task": classify, reconstruct...
  virtual const char* loss_name() const = 0;  // "log loss", "MSE"
  virtual bool has_error() const = 0;         // rows carry "error"
  virtual bool trains() const { return true; }
  // Mean loss of the network output over the batch (differentiable).
  virtual ::torch::Tensor Loss(const ::torch::Tensor& out, const Batch& b) const = 0;
  // Misclassified examples in the batch (0 for tasks without an error metric).
  virtual std::int64_t Wrong(const ::torch::Tensor& out, const Batch& b) const = 0;
  // Tasks that do not train evaluate the reused, trained model instead (NoiseTask).
  virtual Rows EvaluateTrained(Network& model, const RunContext& ctx) const;
};

// Loss and metric of `task` on inputs x [n, features] (labels y or undefined), in evaluation mode,
// without gradients, in chunks; the network is back in training mode afterwards.
Eval Evaluate(Network& model, const Task& task, const ::torch::Tensor& x, const ::torch::Tensor& y);

// Tensors over a split's memory (no copy): inputs [n, features] float32, labels [n] int64 (an
// undefined tensor when the split has no labels).
::torch::Tensor Inputs(const Split& s);
::torch::Tensor Labels(const Split& s);

// A result row of ctx's run for `split` at `epoch`; a non-finite loss marks the row diverged.
Row MakeRow(const RunContext& ctx, int epoch, const char* split, const Eval& e);

}  // namespace gelu::lab
