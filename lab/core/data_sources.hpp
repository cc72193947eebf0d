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

// A folder with the ARK Twitter POS corpus (oct27.train/.dev/.test or the paper's tweets-*.txt;
// LoadTwposFolder in twpos.hpp): train, the dev file as validation (--validation N: its first N
// tokens), test; 150 window features per token, 25 tags.
DataSource TwitterPos();

}  // namespace gelu::lab
