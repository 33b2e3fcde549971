#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""Makes the tokenizer fixtures of tst_tokenizer.

Run from anywhere with Debian's interpreter (needs python3-sentencepiece, nothing else):

    /usr/bin/python3 tests/data/tokenizer/make_tokenizer_fixtures.py

Writes, next to this script:

* wordpiece_cases.json: [{"text", "ids", "ids_special"}] for tricky strings, tokenised with the real
  GAU-alpha vocabulary (tests/data/vocab/vocab.txt) by the plain-Python reference below. The reference
  is a transcription of Hugging Face's slow BertTokenizer (transformers 4.4x:
  PreTrainedTokenizer.tokenize + BasicTokenizer + WordpieceTokenizer) with do_lower_case=True,
  tokenize_chinese_chars=True, strip_accents=None, written without importing transformers so that
  the C++ tokenizer is checked against an independent implementation of the same rules.
* tiny_sp.model + sentencepiece_cases.json: a 300-piece unigram SentencePiece model trained on
  /usr/share/common-licenses/Apache-2.0 (deterministic: one thread, no shuffling, identity
  normalisation so that the model carries no 240 KB NFKC table), and {text, ids} encoded with the
  Python binding of the same libsentencepiece.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = os.path.join(HERE, "..", "vocab", "vocab.txt")
TRAINING_TEXT = "/usr/share/common-licenses/Apache-2.0"

# The special tokens of BertTokenizer. Only these are matched whole in the raw text ([unused1] etc.
# are ordinary vocabulary entries and get split at the brackets like any other text).
SPECIALS = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]


# --- Reference BERT tokenizer -----------------------------------------------------------------------

def load_vocab(path):
    # As transformers' load_vocab: text mode (so CRLF becomes LF), id = line index, rstrip("\n").
    vocab = {}
    with open(path, encoding="utf-8") as f:
        for index, line in enumerate(f.readlines()):
            vocab[line.rstrip("\n")] = index
    return vocab


def is_whitespace(ch):
    if ch in " \t\n\r":
        return True
    return unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def clean_text(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        out.append(" " if is_whitespace(ch) else ch)
    return "".join(out)


def tokenize_chinese_chars(text):
    out = []
    for ch in text:
        if is_chinese_char(ord(ch)):
            out += [" ", ch, " "]
        else:
            out.append(ch)
    return "".join(out)


def strip_accents(text):
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def split_on_punc(text):
    out = []
    start_new_word = True
    for ch in text:
        if is_punctuation(ch):
            out.append([ch])
            start_new_word = True
        else:
            if start_new_word:
                out.append([])
            start_new_word = False
            out[-1].append(ch)
    return ["".join(x) for x in out]


def basic_tokenize(text):
    text = clean_text(text)
    text = tokenize_chinese_chars(text)
    text = unicodedata.normalize("NFC", text)
    split_tokens = []
    for token in text.strip().split():  # str.split(): Python whitespace, so also U+2028/U+2029
        token = strip_accents(token.lower())
        split_tokens.extend(split_on_punc(token))
    return " ".join(split_tokens).strip().split()


def wordpiece(token, vocab, max_chars=100):
    chars = list(token)
    if len(chars) > max_chars:
        return ["[UNK]"]
    start = 0
    pieces = []
    while start < len(chars):
        end = len(chars)
        found = None
        while start < end:
            sub = "".join(chars[start:end])
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def split_specials(text):
    """Leftmost split of the literal special tokens (transformers' Trie.split for these five)."""
    chunks = []
    start = i = 0
    while i < len(text):
        hit = next((s for s in SPECIALS if text.startswith(s, i)), None)
        if hit:
            chunks += [text[start:i], hit]
            i += len(hit)
            start = i
        else:
            i += 1
    chunks.append(text[start:])
    return [c for c in chunks if c]


def bert_tokenize(text, vocab):
    # PreTrainedTokenizer.tokenize lowercases everything but the special tokens first, ONE CHARACTER
    # AT A TIME (the "(.+?)" alternative), so str.lower() never sees a context (no final sigma).
    pattern = "(" + "|".join(re.escape(s) for s in SPECIALS) + r")|(.+?)"
    text = re.sub(pattern, lambda m: m.groups()[0] or m.groups()[1].lower(), text)
    tokens = []
    for chunk in split_specials(text):
        if chunk in SPECIALS:
            tokens.append(chunk)
        else:
            for word in basic_tokenize(chunk):
                tokens += wordpiece(word, vocab)
    return tokens


def bert_encode(text, vocab):
    return [vocab[t] for t in bert_tokenize(text, vocab)]


WORDPIECE_TEXTS = [
    "今天[MASK]很好，我[MASK]去公园玩。",  # gau_alpha.md section 10
    "Héllo Wörld",
    "HELLO WORLD hello world",
    "Hello, world!!! ...?! (yes) [no] {maybe}",
    "1234567890 3.14159 20260101 2026年1月",
    "entertainment playing unbelievable tokenization",
    "ChatGPT OpenAI PyTorch",
    "don't can't it's",
    "https://example.com/path?q=1&x=2#frag",
    "$100 + 5% = ~ ^ ` | < > @ _ \\",
    "5€ ±3 2×3 ©2026",
    "ᚠᛇᚻ unknown ᚠ runes",
    "a\x00b\x01c\x7fd\u200be\ufefff\ufffdg\u00adh\u200fi",
    "今天\u00a0天气\u3000很好\u2002ok",
    "a\u2028b\u2029c",
    "line1\r\nline2\tend\x0bvt\x0cff\x1cfs\x85nel",
    "我😀你👍🏽 🎉!",
    "ＡＢＣ１２３！？（）ａｂｃ",
    "a" * 100,
    "a" * 101,
    "ab" * 51 + " short",
    "é" * 101,
    "",
    "   \t\n  ",
    "我爱Python和C++编程，也爱Rust。",
    "[mask] [Mask] [MASK]",
    "[UNK]",
    "[UNK][CLS]x[SEP][PAD]",
    "a[MASK]b [[MASK]] [MASK[MASK]]",
    "[unused1] [unused1]x <S> <T>",
    "ΟΔΟΣ Σ οδός ΆΣ.",
    "İstanbul IĞDIR",
    "cafe\u0301 café CAFÉ \u212b \u212a",
    "\uf900\uf901 豈 \U0002f800",
    "𠀀𠀁 CJK extension B",
    "“quoted” — dash… «guillemets» ¿qué? ¡sí!",
    "한국어 ひらがな が カタカナ ガ",
    "Tiếng Việt có dấu",
    "العَرَبِيَّة עִבְרִית",
    "ﬁne ﬂow ß ẞ",
    " \u0301 \u0301x",
    "字\ufe0f\u20e3 e\u0308\u0301",
    "!!!???。。。，，、；：“”",
    "中华人民共和国成立于1949年10月1日，首都是北京。",
    "The quick brown fox jumps over the lazy dog.",
]


def make_wordpiece_cases():
    vocab = load_vocab(VOCAB)
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    cases = []
    for text in WORDPIECE_TEXTS:
        ids = bert_encode(text, vocab)
        cases.append({"text": text, "ids": ids, "ids_special": [cls] + ids + [sep]})
    expected = [317, 1466, 103, 2100, 1506, 7675, 2351, 103, 861, 585, 1253, 4041, 179]
    if cases[0]["ids"] != expected:
        sys.exit("reference tokenizer disagrees with gau_alpha.md section 10: %r" % cases[0]["ids"])
    with open(os.path.join(HERE, "wordpiece_cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=True, indent=1)
        f.write("\n")


# --- SentencePiece --------------------------------------------------------------------------------

SENTENCEPIECE_TEXTS = [
    "Licensed under the Apache License, Version 2.0",
    "the work and derivative works thereof",
    "Hello world",
    "HELLO WORLD",
    "a [MASK] in the middle",
    "[MASK][MASK]",
    "[CLS] and [SEP] are control symbols, not text",
    "unknown 漢字 and émoji 😀",
    "",
    "   ",
    "multiple   spaces\tand\nnewlines",
    "1234567890",
    "copyright (c) 2026, \"quoted\"",
    "supercalifragilisticexpialidocious",
]


def make_sentencepiece_fixtures():
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        # The trainer records model_prefix in the model; a relative one keeps the file reproducible.
        cwd = os.getcwd()
        os.chdir(tmp)
        spm.SentencePieceTrainer.train(
            input=TRAINING_TEXT,
            model_prefix="tiny_sp",
            model_type="unigram",
            vocab_size=300,
            character_coverage=1.0,
            normalization_rule_name="identity",
            pad_id=0, pad_piece="[PAD]",
            unk_id=1, unk_piece="[UNK]",
            bos_id=2, bos_piece="[CLS]",
            eos_id=3, eos_piece="[SEP]",
            user_defined_symbols=["[MASK]"],
            num_threads=1,
            shuffle_input_sentence=False,
            seed_sentencepiece_size=100000,
            minloglevel=2,
        )
        os.chdir(cwd)
        shutil.copyfile(os.path.join(tmp, "tiny_sp.model"), os.path.join(HERE, "tiny_sp.model"))

    sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, "tiny_sp.model"))
    cases = [{"text": t, "ids": sp.encode(t), "pieces": sp.encode(t, out_type=str)}
             for t in SENTENCEPIECE_TEXTS]
    with open(os.path.join(HERE, "sentencepiece_cases.json"), "w", encoding="utf-8") as f:
        json.dump({"model": "tiny_sp.model", "trained_on": TRAINING_TEXT,
                   "piece_size": sp.get_piece_size(), "cases": cases},
                  f, ensure_ascii=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    make_wordpiece_cases()
    make_sentencepiece_fixtures()
