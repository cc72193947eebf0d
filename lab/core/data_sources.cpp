// Data sources (see data_sources.hpp).
#include "lab/core/data_sources.hpp"

namespace gelu::lab {

DataSource MnistIdx(std::size_t default_validation) {
  DataSource s;
  s.format = "mnist-idx";
  s.default_validation = default_validation;
  s.load = [](const DataOptions& o) { return LoadMnistFolder(o.dir, o.validation, o.train_limit); };
  // 1,100 training (100 for --validation 100) and 200 test examples: every model learns them.
  s.write_sample = [](const std::filesystem::path& dir) { WriteSampleMnist(dir, 1100, 200, true); };
  return s;
}

}  // namespace gelu::lab
