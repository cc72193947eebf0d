# gelu_warnings: an INTERFACE target carrying our warning flags (and sanitizers), linked PRIVATE
# by our own targets only, so third-party headers (libtorch, Highway) stay quiet.
add_library(gelu_warnings INTERFACE)
target_compile_options(gelu_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  $<$<COMPILE_LANGUAGE:CXX>:-Wdouble-promotion>
  $<$<BOOL:${GELU_WERROR}>:-Werror>)
if(GELU_SANITIZE)
  target_compile_options(gelu_warnings INTERFACE -fsanitize=${GELU_SANITIZE}
                         -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(gelu_warnings INTERFACE -fsanitize=${GELU_SANITIZE})
endif()
