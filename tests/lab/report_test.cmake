# lab/report/make_report.py on synthetic results (label lab); needs Debian's /usr/bin/python3.
add_test(NAME lab_report_py COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/report_test.py)
set_tests_properties(lab_report_py PROPERTIES LABELS lab TIMEOUT 300)
