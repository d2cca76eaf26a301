# ringscope_add_test(NAME <name> SOURCES <files...> [LIBS <libs...>])
# One Qt Test executable per test class, registered with CTest.
function(ringscope_add_test)
    cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    set_target_properties(${T_NAME} PROPERTIES AUTOMOC ON)
    target_link_libraries(${T_NAME} PRIVATE Qt6::Test ringscope_test_support ${T_LIBS})
    ringscope_warnings(${T_NAME})
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    set_tests_properties(${T_NAME} PROPERTIES
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen;RINGSCOPE_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data;RINGSCOPE_CLI=$<TARGET_FILE:ringscope-cli>;RINGSCOPE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
        TIMEOUT 600)
endfunction()
