// Training and evaluation of the classifiers, behind a torch-free interface so experiments and the
// sweep compile without libtorch headers.
#pragma once

#include <cstdint>
#include <vector>

#include "lab/core/experiment.hpp"

namespace gelu::lab {

// Gives OpenBLAS `threads` threads for this process; libtorch's intra-op pool stays at 1 (see
// train.cpp: the two spin-waiting pools fight over the cores). With flush_denormals the calling
// thread computes with subnormal floats flushed to zero (x86 FTZ and DAZ, torch's
// set_flush_denormal), otherwise with IEEE subnormals.
void SetComputeThreads(int threads, bool flush_denormals);

// Trains ctx.experiment.model with ctx.run's activation, dropout, lr, seed and epochs on
// ctx.data.train (Adam, mean softmax cross-entropy, batches in file order in epoch 1, then
// reshuffled every epoch by a seeded RNG). After each epoch logs a "train" row (mean over the
// epoch's minibatches of the loss/error before each update; with dropout a dropout-off pass, as
// the paper's code), then "val" and "test" rows on the full splits. Saves the final model to
// DIR/models/RUN_ID.pt (temporary file + rename) before returning.
Rows TrainClassifier(const RunContext& ctx);

// Loads the model trained by run ctx.run.model_from (an experiment named in ctx.experiment.reuses)
// and evaluates it on the test split with per-pixel Unif[-a, a] noise added (no clipping), for
// each a in levels. The noise is one fixed draw u ~ Unif[-1, 1] per seed (noise_seed + seed),
// scaled by a, so every activation sees the same noise.
Rows EvaluateUnderNoise(const RunContext& ctx, const std::vector<double>& levels,
                        std::uint64_t noise_seed);

}  // namespace gelu::lab
