# pacsport_add_test(NAME SOURCES... LIBS...): one GoogleTest binary registered with CTest.
# Tests run from the source tree root so that they can find tests/data and scripts.
function(pacsport_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "PACSPORT_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
