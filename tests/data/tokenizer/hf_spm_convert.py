#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""SentencePiece half of make_hf_tokenizer_fixtures.sh (run by make_hf_tokenizer_fixtures.mjs).

    hf_spm_convert.py build CORPUS.gz WORKDIR OUTDIR
        Trains a small SentencePiece BPE model (byte_fallback) on the corpus and writes it as
        WORKDIR/llama2.model, then converts it to Hugging Face tokenizer.json files the way
        transformers' LlamaConverter does:
          OUTDIR/llama2-style/tokenizer.json     legacy: normalizer Prepend("▁") + Replace(" ", "▁"),
                                                 no pre-tokenizer, merges as "a b" strings
          OUTDIR/metaspace-style/tokenizer.json  non-legacy: no normalizer, Metaspace(prepend_scheme
                                                 "first", split false), merges as ["a", "b"] pairs
          OUTDIR/misc-unk/tokenizer.json         the same vocabulary without "▁" handling or byte
                                                 fallback: NFD + StripAccents, WhitespaceSplit, <unk>
    hf_spm_convert.py encode WORKDIR/llama2.model TEXTS.json OUT.json
        libsentencepiece's own ids for each text (a cross-check of llama2-style, not a reference:
        SentencePiece merges by piece score, tokenizer.json by merge rank, and it knows no added tokens).

Needs only Debian's python3-sentencepiece. Deterministic: one thread, no shuffling, every line.
"""

import gzip
import json
import os
import sys

import sentencepiece as spm

VOCAB_SIZE = 1500


def train(corpus, workdir):
    text = os.path.join(workdir, "corpus.txt")
    with gzip.open(corpus, "rt", encoding="utf-8") as f, open(text, "w", encoding="utf-8") as out:
        out.write(f.read())
    prefix = os.path.join(workdir, "llama2")
    # Llama 2's trainer flags that matter here: BPE, byte fallback, digits split, whitespace-only
    # pieces allowed, identity normalisation and no whitespace collapsing (so that the legacy
    # tokenizer.json normaliser, which collapses nothing, describes the same model).
    spm.SentencePieceTrainer.train(
        input=text,
        model_prefix=prefix,
        model_type="bpe",
        vocab_size=VOCAB_SIZE,
        byte_fallback=True,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        character_coverage=1.0,
        num_threads=1,
        shuffle_input_sentence=False,
        input_sentence_size=0,
        max_sentence_length=1 << 15,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    os.remove(text)
    return prefix + ".model"


def pieces_of(model):
    sp = spm.SentencePieceProcessor(model_file=model)
    return [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())], sp


def merges_from_vocab(vocab, scores):
    """transformers' generate_merges with vocab scores: every split of a piece into two vocabulary
    pieces is a merge; per piece the splits are ordered by the ids of their parts, then all merges by
    (score, len(left), len(right)) descending (Python's stable sort, reversed)."""
    merges = []
    for piece, score in scores:
        local = []
        for k in range(1, len(piece)):
            left, right = piece[:k], piece[k:]
            if left in vocab and right in vocab:
                local.append((left, right, score))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: (m[2], len(m[0]), len(m[1])), reverse=True)
    return [(m[0], m[1]) for m in merges]


def special(token_id, content):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def bos_template():
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
    }


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def build(corpus, workdir, outdir):
    model = train(corpus, workdir)
    pieces, sp = pieces_of(model)
    assert [p for p, _ in pieces[:3]] == ["<unk>", "<s>", "</s>"], pieces[:3]
    # LlamaConverter.vocab: the first three pieces get score 0, the rest keep theirs.
    scores = [(p, 0.0) for p, _ in pieces[:3]] + pieces[3:]
    vocab = {p: i for i, (p, _) in enumerate(scores)}
    merges = merges_from_vocab({sp.id_to_piece(i): i for i in range(sp.get_piece_size())}, scores)
    added = [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")]

    def model_json(merge_form, byte_fallback=True, fuse_unk=True, the_vocab=vocab, the_merges=merges):
        return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": fuse_unk, "byte_fallback": byte_fallback,
                "ignore_merges": False, "vocab": the_vocab,
                "merges": [f"{a} {b}" for a, b in the_merges] if merge_form == "strings"
                else [[a, b] for a, b in the_merges]}

    legacy = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": bos_template(),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": model_json("strings"),
    }
    write(os.path.join(outdir, "llama2-style", "tokenizer.json"), legacy)

    metaspace = dict(legacy)
    metaspace["normalizer"] = None
    metaspace["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                                  "split": False}
    metaspace["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    metaspace["model"] = model_json("pairs")
    write(os.path.join(outdir, "metaspace-style", "tokenizer.json"), metaspace)

    # misc-unk: the pieces without "▁" and without the byte pieces (ids renumbered densely), so that
    # unknown characters become <unk> (fuse_unk false: tokenizers.js does not fuse). Merges are the
    # ones above whose parts and result all survive.
    kept = [p for p, _ in scores if "\u2581" not in p and not (p.startswith("<0x") and len(p) == 6)]
    small = {p: i for i, p in enumerate(kept)}
    small_merges = [(a, b) for a, b in merges if a in small and b in small and a + b in small]
    misc = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [special(0, "<unk>"), special(1, "<s>"), special(2, "</s>"),
                         {"id": len(kept), "content": "[sep]", "single_word": False, "lstrip": True,
                          "rstrip": True, "normalized": True, "special": False}],
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]},
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]},
                                              "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
        "decoder": None,
        "model": model_json("strings", byte_fallback=False, fuse_unk=False, the_vocab=small,
                            the_merges=small_merges),
    }
    write(os.path.join(outdir, "misc-unk", "tokenizer.json"), misc)
    print(f"llama2-style: {len(vocab)} pieces, {len(merges)} merges; misc-unk: {len(small)} pieces, "
          f"{len(small_merges)} merges")


def encode(model, texts_path, out_path):
    sp = spm.SentencePieceProcessor(model_file=model)
    with open(texts_path, encoding="utf-8") as f:
        texts = json.load(f)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump([sp.encode(t) for t in texts], f)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "encode":
        encode(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
