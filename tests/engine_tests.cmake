# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
entroscope_add_test(tst_golden SOURCES tst_golden.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
entroscope_add_test(tst_llama SOURCES tst_llama.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
entroscope_add_test(tst_checkpoint SOURCES tst_checkpoint.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
entroscope_add_test(tst_method_properties SOURCES tst_method_properties.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
entroscope_add_test(tst_method SOURCES tst_method.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS unit)
entroscope_add_test(tst_analysis SOURCES tst_analysis.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS unit)
entroscope_add_test(tst_row_kernels SOURCES tst_row_kernels.cpp LIBS entroscope_engine Qt6::Core LABELS unit)
