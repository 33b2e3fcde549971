# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# The workbench: controller (threads, cache) and main window end to end, on the tiny fixture models.
entroscope_add_test(tst_analysis_controller SOURCES tst_analysis_controller.cpp LIBS entroscope_app LABELS "gui;model")
entroscope_add_test(tst_main_window SOURCES tst_main_window.cpp LIBS entroscope_app LABELS "gui;model")
target_compile_definitions(tst_main_window PRIVATE ENTROSCOPE_GUI_PATH="$<TARGET_FILE:entroscope>")
