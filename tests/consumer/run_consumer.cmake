# ctest script: install libgelu, then build and run tests/consumer/project both ways.
# Fails (FATAL_ERROR) on any step, printing the step's output.
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer test: ${what} failed (${rc})\n${out}\n${err}")
  endif()
  set(STEP_OUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
step("cmake --install" ${CMAKE_COMMAND} --install ${GELU_BUILD_DIR} --prefix ${prefix}
     --component Unspecified)

# 1. find_package(gelu CONFIG)
step("configure consumer" ${CMAKE_COMMAND} -S ${CONSUMER_SRC} -B ${WORK}/cmake -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
step("build consumer" ${CMAKE_COMMAND} --build ${WORK}/cmake)
step("run consumer (find_package)" ${WORK}/cmake/consumer)
message(STATUS "find_package consumer printed:\n${STEP_OUT}")
if(NOT STEP_OUT MATCHES "gelu\\(-6\\) = -5\\.91953e-09")
  message(FATAL_ERROR "consumer (find_package) printed unexpected output:\n${STEP_OUT}")
endif()

# 2. pkg-config
find_program(PKG_CONFIG pkg-config REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig:${prefix}/lib/x86_64-linux-gnu/pkgconfig)
step("pkg-config" ${PKG_CONFIG} --cflags --libs gelu)
string(STRIP "${STEP_OUT}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
file(MAKE_DIRECTORY ${WORK}/pc)
step("compile with pkg-config flags" ${CXX} -std=c++20 ${CONSUMER_SRC}/consumer.cpp ${flags}
     -o ${WORK}/pc/consumer)
file(GLOB libdirs LIST_DIRECTORIES true ${prefix}/lib ${prefix}/lib/x86_64-linux-gnu)
string(REPLACE ";" ":" ld_path "${libdirs}")
step("run consumer (pkg-config)" ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${ld_path}
     ${WORK}/pc/consumer)
if(NOT STEP_OUT MATCHES "gelu\\(-6\\) = -5\\.91953e-09")
  message(FATAL_ERROR "consumer (pkg-config) printed unexpected output:\n${STEP_OUT}")
endif()
