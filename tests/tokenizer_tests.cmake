# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# Tokenizer tests: fixtures in data/tokenizer (made by make_tokenizer_fixtures.py) and the real GAU-alpha
# vocabulary in data/vocab. SentencePiece is reached through the plugin (engine/text/sentencepiece_plugin.h),
# so these link like every other test: libprotobuf first, no libsentencepiece.

entroscope_add_test(tst_tokenizer SOURCES tst_tokenizer.cpp LIBS entroscope_tokenizer Qt6::Core LABELS unit)
# The test classes have Q_OBJECT; the project does not turn AUTOMOC on globally.
set_target_properties(tst_tokenizer PROPERTIES AUTOMOC ON)

# Regression test for the protobuf clash: LibTorch (and with it libprotobuf.so.32) is loaded before
# the first SentencePiece model, the order that used to fail every model load.
entroscope_add_test(tst_sentencepiece_with_torch SOURCES tst_sentencepiece_with_torch.cpp
  LIBS entroscope_tokenizer ${TORCH_LIBRARIES} Qt6::Core LABELS unit)
set_target_properties(tst_sentencepiece_with_torch PROPERTIES AUTOMOC ON)

# Hugging Face tokenizer.json (BPE): fixtures in data/tokenizer/hf made by make_hf_tokenizer_fixtures.sh
# with @huggingface/tokenizers as the reference.
entroscope_add_test(tst_hf_tokenizer SOURCES tst_hf_tokenizer.cpp LIBS entroscope_tokenizer Qt6::Core LABELS unit)
set_target_properties(tst_hf_tokenizer PROPERTIES AUTOMOC ON)
