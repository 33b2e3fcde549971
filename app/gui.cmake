# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# The Qt workbench. The controller and the main window are a static library so that tests link them;
# the executable adds main.cpp and the resources. Only analysis_controller.cpp includes LibTorch headers.
set(ENTROSCOPE_APP_DIR ${CMAKE_CURRENT_SOURCE_DIR}/gui)
add_library(entroscope_app STATIC
  ${ENTROSCOPE_APP_DIR}/analysis_controller.cpp ${ENTROSCOPE_APP_DIR}/analysis_controller.h
  ${ENTROSCOPE_APP_DIR}/main_window.cpp ${ENTROSCOPE_APP_DIR}/main_window_export.cpp ${ENTROSCOPE_APP_DIR}/main_window_views.cpp ${ENTROSCOPE_APP_DIR}/main_window.h
  ${ENTROSCOPE_APP_DIR}/method_editor.cpp ${ENTROSCOPE_APP_DIR}/method_editor.h
  ${ENTROSCOPE_APP_DIR}/session_state.cpp ${ENTROSCOPE_APP_DIR}/session_state.h
  ${PROJECT_SOURCE_DIR}/resources/entroscope.qrc)
set_target_properties(entroscope_app PROPERTIES AUTOMOC ON AUTORCC ON)
target_include_directories(entroscope_app PUBLIC ${ENTROSCOPE_APP_DIR})
target_link_libraries(entroscope_app PUBLIC entroscope_engine entroscope_widgets Qt6::Widgets Qt6::Concurrent)
target_compile_options(entroscope_app PRIVATE ${ENTROSCOPE_WARNINGS})
# File ▸ Bundled models lists every model folder (with a config.json) found here.
target_compile_definitions(entroscope_app PRIVATE ENTROSCOPE_BUNDLED_MODELS_DIR="${PROJECT_SOURCE_DIR}/resources/models")

add_executable(entroscope ${ENTROSCOPE_APP_DIR}/main.cpp)
target_link_libraries(entroscope PRIVATE entroscope_app)
target_compile_options(entroscope PRIVATE ${ENTROSCOPE_WARNINGS})
target_compile_definitions(entroscope PRIVATE
  ENTROSCOPE_DEFAULT_MODEL_DIR="${PROJECT_SOURCE_DIR}/resources/models/demo-softmax"
  ENTROSCOPE_FALLBACK_MODEL_DIR="${PROJECT_SOURCE_DIR}/tests/data/models/tiny-neko")
entroscope_link_protobuf_first(entroscope)

