# ctest script: installs the build into a fresh prefix, then runs test_package.py --installed
# against PREFIX/${PYTHON_DIR}/gelu_torch with PYTHONPATH only (no GELU_TORCH_LIBRARY, no
# LD_LIBRARY_PATH): the package must find and load PREFIX's libgelu_torch.so by itself.
# Prints "SKIP: ..." (ctest: skipped) when PYTHON has no torch or the package dir is absolute.
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
if(IS_ABSOLUTE "${PYTHON_DIR}")
  message("SKIP: GELU_PYTHON_INSTALL_DIR=${PYTHON_DIR} is absolute; a test install writes there")
  return()
endif()
execute_process(COMMAND ${PYTHON} -c "import torch" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 0)
  message("SKIP: ${PYTHON} cannot import torch")
  return()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --install ${GELU_BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}); it needs a full build\n${out}\n${err}")
endif()
execute_process(COMMAND env -u LD_LIBRARY_PATH -u GELU_TORCH_LIBRARY
                        PYTHONPATH=${prefix}/${PYTHON_DIR} PYTHONDONTWRITEBYTECODE=1
                        ${PYTHON} ${TEST_SCRIPT} --installed ${prefix}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed gelu_torch package failed its checks (${rc})\n${out}\n${err}")
endif()
string(REGEX MATCH "gelu_torch from [^\n]*" where "${out}")
message(STATUS "installed package passed: ${where}")
