// The models experiments can name without including torch: each function returns a ModelFactory
// (lab/core/experiment.hpp) whose networks are built in lab/core/model.cpp.
#pragma once

#include <cstddef>
#include <vector>

#include "lab/core/experiment.hpp"

namespace gelu::lab {

// inputs -> hidden[0] -> ... -> hidden[k-1] -> outputs, affine layers; the activation and inverted
// dropout after every hidden layer, a linear output layer. Unit-norm Gaussian init (each output
// unit's weights scaled to L2 norm 1), zero biases: the paper's TensorFlow code.
struct MlpSpec {
  std::size_t inputs = 784;
  std::vector<std::size_t> hidden;
  std::size_t outputs = 10;
};

// The factory checks the data's feature count against spec.inputs (LabError otherwise).
ModelFactory MlpModel(const MlpSpec& spec);

// The paper's MNIST classifier (paper-spec.md section 3): 784 -> 8 x 128 -> 10 logits, 217,354
// parameters; mnist_classify's network, which mnist_soi and mnist_noise use as well.
inline MlpSpec PaperMnistMlp() { return MlpSpec{784, std::vector<std::size_t>(8, 128), 10}; }

}  // namespace gelu::lab
