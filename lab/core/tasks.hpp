// The tasks experiments can name without including torch (lab/core/task.hpp has the interface,
// lab/core/tasks.cpp the implementations): what a run's loss is, which metrics it logs, and, for
// tasks that evaluate reused models, what the evaluation is.
#pragma once

#include <cstdint>
#include <vector>

#include "lab/core/experiment.hpp"

namespace gelu::lab {

// Mean softmax cross-entropy of logits [n, classes] against labels; metric: fraction misclassified
// (argmax). Rows carry loss (log loss) and error.
TaskPtr ClassifyTask();

// Per-pixel mean squared error of the output [n, features] against the input itself (an
// autoencoder); no error metric. Rows carry loss (MSE) only.
TaskPtr ReconstructTask();

// Evaluates the trained models of the experiment named in Experiment::reuses under input noise:
// per-feature Unif[-a, a] added to the test inputs (no clipping) for each a in levels, measured
// with `base` (its loss and metrics). The noise is one fixed draw u ~ Unif[-1, 1] per seed
// (torch::manual_seed(noise_seed + seed)), scaled by a, so every activation sees the same noise.
// Rows: split "test", noise a, epoch = the model's epochs.
TaskPtr NoiseTask(TaskPtr base, std::vector<double> levels, std::uint64_t noise_seed);

// What torch-free code (the CLI, experiments.json) may know of a task.
struct TaskInfo {
  const char* kind;       // "classify" | "reconstruct" | "perturb"
  const char* loss_name;  // "log loss" | "MSE"
  bool has_error;         // rows carry "error"
  bool trains;            // false: evaluates the trained models of Experiment::reuses
};
TaskInfo Describe(const TaskPtr& task);

}  // namespace gelu::lab
