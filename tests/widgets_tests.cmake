# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# Widget tests (label gui, run offscreen). widget_test_data.h makes synthetic maps and results.
entroscope_add_test(tst_attention_map_view SOURCES tst_attention_map_view.cpp widget_test_data.h LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_widget_screenshots SOURCES tst_widget_screenshots.cpp widget_test_data.h LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_entropy_view SOURCES tst_entropy_view.cpp widget_test_data.h LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_dilution_view SOURCES tst_dilution_view.cpp LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_distance_profile_view SOURCES tst_distance_profile_view.cpp LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_layer_overview SOURCES tst_layer_overview.cpp widget_test_data.h LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_compare_view SOURCES tst_compare_view.cpp widget_test_data.h LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_plot_export SOURCES tst_plot_export.cpp widget_test_data.h LIBS entroscope_widgets LABELS gui)
entroscope_add_test(tst_token_inspector_view SOURCES tst_token_inspector_view.cpp LIBS entroscope_widgets LABELS gui)
