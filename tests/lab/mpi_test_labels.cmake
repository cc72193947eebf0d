# Read by ctest after the discovered gelu_lab_tests: the MPI tests carry the labels `lab` and `mpi`
# (CI's lab set runs them; `ctest -L mpi` picks them alone).
foreach(test IN LISTS GELU_LAB_MPI_TESTS)
  set_tests_properties(${test} PROPERTIES LABELS "lab;mpi")
endforeach()
