# ctest script: installs the build into a fresh prefix, then runs PREFIX/bin/gelu-lab with no
# LD_LIBRARY_PATH: `list` must show every experiment and `run` must reach its own argument checks
# (a missing data folder is a clean error, not a loader failure). Fails with the step's output.
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${GELU_BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})\n${out}\n${err}")
endif()
set(exe ${prefix}/bin/gelu-lab)
execute_process(COMMAND env -u LD_LIBRARY_PATH ${exe} list
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "mnist_autoencoder" OR NOT out MATCHES "mnist_soi")
  message(FATAL_ERROR "installed gelu-lab list failed (${rc})\n${out}\n${err}")
endif()
execute_process(COMMAND env -u LD_LIBRARY_PATH ${exe} run mnist_autoencoder --quick
                        --data ${WORK}/no-such-folder --out ${WORK}/out
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "no-such-folder does not exist")
  message(FATAL_ERROR "installed gelu-lab run: expected the data folder error (${rc})\n${out}\n${err}")
endif()
message(STATUS "installed gelu-lab at ${exe} starts and lists the experiments")
