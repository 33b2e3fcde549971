# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# The workbench: controller (threads, cache) and main window end to end, on the tiny fixture models.
entroscope_add_test(tst_analysis_controller SOURCES tst_analysis_controller.cpp LIBS entroscope_app LABELS "gui;model")
entroscope_add_test(tst_main_window SOURCES tst_main_window.cpp LIBS entroscope_app LABELS "gui;model")
target_compile_definitions(tst_main_window PRIVATE ENTROSCOPE_GUI_PATH="$<TARGET_FILE:entroscope>"
  ENTROSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

# The soak test of the workbench (tests/soak/soak_workbench.cpp): scripts/soak.sh runs it for long; the
# short run is part of the gui tests.
add_executable(soak_workbench ${CMAKE_CURRENT_SOURCE_DIR}/soak/soak_workbench.cpp)
target_link_libraries(soak_workbench PRIVATE entroscope_app)
target_compile_options(soak_workbench PRIVATE ${ENTROSCOPE_WARNINGS})
target_compile_definitions(soak_workbench PRIVATE ENTROSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
entroscope_link_protobuf_first(soak_workbench)
add_test(NAME soak_short COMMAND soak_workbench --seconds 30 --max-length 512 --seed 7)
set_tests_properties(soak_short PROPERTIES LABELS "gui;model" TIMEOUT 600 ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
