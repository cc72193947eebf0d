// The data sources experiments can name: a loader for one on-disk format, the experiment's split
// of it, and a writer of a tiny valid sample in that format (for the registry-driven test).
#pragma once

#include <cstddef>

#include "lab/core/experiment.hpp"

namespace gelu::lab {

// A folder with the four MNIST-format IDX files (MNIST, Fashion-MNIST; LoadMnistFolder). The first
// default_validation training examples are the validation split unless --validation says
// otherwise; 0 = no validation split (every training example trains: the autoencoder).
DataSource MnistIdx(std::size_t default_validation);

}  // namespace gelu::lab
