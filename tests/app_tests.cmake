# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# The CLI (run as a subprocess: analyze, sweep, compare, evaluate, train and their errors).
entroscope_add_test(tst_cli SOURCES tst_cli.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
add_dependencies(tst_cli entroscope-cli)
entroscope_add_test(tst_experiments SOURCES tst_experiments.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
add_dependencies(tst_experiments entroscope-cli)

# The workbench: controller (threads, cache) and main window end to end, on the tiny fixture models.
entroscope_add_test(tst_analysis_controller SOURCES tst_analysis_controller.cpp LIBS entroscope_app LABELS "gui;model")
entroscope_add_test(tst_main_window SOURCES tst_main_window.cpp LIBS entroscope_app LABELS "gui;model")
target_compile_definitions(tst_main_window PRIVATE ENTROSCOPE_GUI_PATH="$<TARGET_FILE:entroscope>"
  ENTROSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# Multi-head (Llama-family) models in the workbench: controller results per head, head selector, heatmap.
entroscope_add_test(tst_workbench_heads SOURCES tst_workbench_heads.cpp LIBS entroscope_app LABELS "gui;model")
target_compile_definitions(tst_workbench_heads PRIVATE ENTROSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

# The soak test of the workbench (tests/soak/soak_workbench.cpp): scripts/soak.sh runs it for long; the
# short run is part of the gui tests.
add_executable(soak_workbench ${CMAKE_CURRENT_SOURCE_DIR}/soak/soak_workbench.cpp)
target_link_libraries(soak_workbench PRIVATE entroscope_app)
target_compile_options(soak_workbench PRIVATE ${ENTROSCOPE_WARNINGS})
target_compile_definitions(soak_workbench PRIVATE ENTROSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
entroscope_link_protobuf_first(soak_workbench)
add_test(NAME soak_short COMMAND soak_workbench --seconds 30 --max-length 512 --seed 7)
set_tests_properties(soak_short PROPERTIES LABELS "gui;model" TIMEOUT 600 ENVIRONMENT "QT_QPA_PLATFORM=offscreen")

# The distributed evaluate/sweep: mpirun -np 2 against one process, --shard + merge, a killed and a failing
# rank. The MPI cases are skipped in a build without MPI.
entroscope_add_test(tst_distributed SOURCES tst_distributed.cpp LIBS Qt6::Core LABELS model)
add_dependencies(tst_distributed entroscope-cli)
if(ENTROSCOPE_WITH_MPI)
  target_compile_definitions(tst_distributed PRIVATE ENTROSCOPE_MPIEXEC="${MPIEXEC_EXECUTABLE}")
endif()
set_tests_properties(tst_distributed PROPERTIES TIMEOUT 600)

# The CLI on a causal model it trains itself (train --arch llama, evaluate, sweep, compare).
entroscope_add_test(tst_cli_causal SOURCES tst_cli_causal.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
add_dependencies(tst_cli_causal entroscope-cli)
set_tests_properties(tst_cli_causal PROPERTIES TIMEOUT 600)
