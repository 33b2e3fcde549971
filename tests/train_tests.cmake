# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# The trainer: a few steps on a tiny configuration (data/train/tiny_corpus.txt), the SentencePiece
# trainer ABI, the Python torch.load round trip, and the shipped demo models against their cards.

entroscope_add_test(tst_trainer SOURCES tst_trainer.cpp LIBS entroscope_engine Qt6::Core LABELS model)
target_compile_definitions(tst_trainer PRIVATE ENTROSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_tests_properties(tst_trainer PROPERTIES TIMEOUT 600)

# The causal-LM trainer of the Llama architecture (the causal demo model).
entroscope_add_test(tst_causal_trainer SOURCES tst_causal_trainer.cpp test_util.h LIBS entroscope_engine Qt6::Core LABELS model)
target_compile_definitions(tst_causal_trainer PRIVATE ENTROSCOPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_tests_properties(tst_causal_trainer PROPERTIES TIMEOUT 600)
