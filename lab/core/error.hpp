// gelu-lab's one error type: a message for humans that names the file or flag, the cause and a
// hint. Thrown anywhere in the lab, caught once in main, which prints it and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace gelu::lab {

class LabError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace gelu::lab
