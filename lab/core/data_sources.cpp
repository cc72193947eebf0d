// Data sources (see data_sources.hpp).
#include "lab/core/data_sources.hpp"

#include "lab/core/error.hpp"
#include "lab/core/twpos.hpp"

namespace gelu::lab {

DataSource MnistIdx(std::size_t default_validation) {
  DataSource s;
  s.format = "mnist-idx";
  s.default_validation = default_validation;
  s.load = [](const DataOptions& o) {
    if (!o.vectors.empty()) {
      throw LabError("--vectors " + o.vectors.string() +
                     ": word vectors are for the Twitter experiments; the MNIST experiments read "
                     "pixels only (hint: drop --vectors)");
    }
    return LoadMnistFolder(o.dir, o.validation, o.train_limit);
  };
  // 1,100 training (100 for --validation 100) and 200 test examples: every model learns them.
  s.write_sample = [](const std::filesystem::path& dir) { WriteSampleMnist(dir, 1100, 200, true); };
  return s;
}

DataSource TwitterPos() {
  DataSource s;
  s.format = "twpos";
  s.default_validation = kAllDevTokens;
  // --vectors FILE, else the paper's vectors when DIR holds embeddings-twitter.txt, else the
  // substitute.
  s.load = [](const DataOptions& o) {
    return LoadTwposFolder(o.dir, o.validation, o.train_limit, o.vectors);
  };
  // 120 training, 40 validation and 40 test tweets of a made-up, learnable corpus.
  s.write_sample = [](const std::filesystem::path& dir) { WriteSampleTwpos(dir); };
  return s;
}

}  // namespace gelu::lab
