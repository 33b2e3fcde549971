// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace entroscope {

/// Turns UTF-8 text into the token ids of a model's vocabulary.
///
/// Three implementations, chosen by the files of a model folder (fromFolder):
/// - "wordpiece": BERT WordPiece from a vocab.txt, bit-for-bit the rules of Hugging Face's slow
///   BertTokenizer with do_lower_case=true, tokenize_chinese_chars=true, strip_accents=None (the
///   configuration of GAU-alpha and of Chinese BERT-family checkpoints). See tokenizer.cpp for the
///   pipeline and the places where HF's behaviour is subtle.
/// - "sentencepiece": a SentencePiece *.model through libsentencepiece, used as it is. libsentencepiece
///   is not linked into the program: it sits in a plugin (libentroscope_sentencepiece.so, see
///   sentencepiece_plugin.h) that is opened on the first SentencePiece load.
/// - "bpe": a Hugging Face tokenizer.json with a BPE model (GPT-2, Llama 2/3, Mistral, Qwen2 and
///   the like), run by EntroScope's own implementation of the `tokenizers` pipeline (hf_tokenizer.cpp
///   lists the components and options it supports and where it simplifies).
///
/// Ownership and lifetime: factories return a self-contained object (the vocabulary is copied in;
/// the files may be deleted afterwards). Objects are immutable after construction, so every const
/// member may be called from several threads at once.
///
/// Errors: factories and the few members that can fail throw entroscope::Error with a one-line
/// message that names the file (or folder) and the reason. Malformed UTF-8 in the text is not an
/// error: each invalid byte is read as U+FFFD, which the WordPiece rules drop (SentencePiece maps it
/// to its unknown piece; "bpe" tokenizes it like any other character).
class Tokenizer
{
public:
    virtual ~Tokenizer();

    Tokenizer(const Tokenizer &) = delete;
    Tokenizer &operator=(const Tokenizer &) = delete;

    /// Loads the tokenizer of a model folder, the first of: dir/vocab.txt (WordPiece), dir/tokenizer.json
    /// (Hugging Face BPE), the one *.model file of the folder (SentencePiece). Throws Error naming the
    /// folder if it does not exist, has none of them, or has several *.model files and neither of the
    /// others; loading errors of the chosen file name that file.
    static std::unique_ptr<Tokenizer> fromFolder(const std::string &dir);

    /// WordPiece vocabulary: one token per line, UTF-8, id = line index (0-based). A trailing newline,
    /// CRLF or lone CR line ends (Python's universal newlines, as HF reads the file) and a UTF-8 byte
    /// order mark (which HF would keep as part of the first token) are tolerated; an empty line in the
    /// middle is an (unreachable) token of its own, so ids stay line numbers. When a token occurs
    /// twice the later line wins in tokenToId, as in HF. Throws Error naming the file if it cannot be
    /// read, is empty, or is not UTF-8.
    static std::unique_ptr<Tokenizer> fromVocabFile(const std::string &path);

    /// Hugging Face tokenizer.json with a "BPE" model (kind() "bpe"): the whole encode pipeline of the
    /// `tokenizers` library (added tokens, normalizer, pre-tokenizer, BPE with byte fallback,
    /// post-processor), decoders ignored, truncation and padding ignored. The supported components
    /// and options are listed in hf_tokenizer.cpp; anything else is refused, not approximated.
    /// Ids: every id of model.vocab and added_tokens; vocabSize() is the largest id + 1 (a gap
    /// between ids is an id without a token: idToToken throws for it). An added token may reuse the
    /// id of a vocabulary entry: idToToken then gives the added token, tokenToId still knows both.
    /// Special ids: unkId is model.unk_token (else "<unk>"); clsId (BOS) and sepId (EOS) are the
    /// special tokens the post-processor puts before and after the text, else the first known of
    /// "<s>", "<|begin_of_text|>", "<|endoftext|>" (BOS) and "</s>", "<|end_of_text|>",
    /// "<|endoftext|>" (EOS); padId is "<pad>", maskId "<mask>"; -1 when absent.
    /// encode(text, true) applies the post-processor (e.g. Llama's BOS); it adds nothing when the
    /// file has none. Throws Error naming the file and the reason for an unreadable or malformed
    /// file (invalid JSON, ids out of range or used twice, bad merges) and for any component or
    /// option that is not supported, e.g. `tokenizer.json: pre_tokenizer "BertPreTokenizer" is not
    /// supported`.
    static std::unique_ptr<Tokenizer> fromTokenizerJson(const std::string &path);

    /// SentencePiece model file. Throws Error with the file name and libsentencepiece's status message.
    /// libsentencepiece runs in a plugin opened with RTLD_DEEPBIND, because Debian's libsentencepiece
    /// embeds a protobuf 3.14 runtime that clashes with LibTorch's libprotobuf.so.32 in one symbol
    /// scope. The plugin is looked up in $ENTROSCOPE_SENTENCEPIECE_PLUGIN if that is set (and only
    /// there), else in <executable dir>/../lib, the executable's dir and the build tree, and kept
    /// loaded once found. If it cannot be found or opened, the Error names the model file and the
    /// reason (dlerror's text, or the places searched).
    static std::unique_ptr<Tokenizer> fromSentencePieceFile(const std::string &path);

    /// Text -> ids. addSpecial puts [CLS] before and [SEP] after (METHODS.md: off by default, texts are
    /// analysed without them); throws Error if the vocabulary lacks either ("bpe": addSpecial runs
    /// the file's post-processor instead, which may add nothing). Literal special tokens in the text
    /// ("[MASK]", case-sensitive; "bpe": every added token of the file) become their ids. WordPiece
    /// throws Error only if the text needs [UNK] and the vocabulary has none ("bpe": if a character
    /// needs the model's unk_token and the file does not define it as a token). Linear in the text
    /// length (BPE: n log n in the length of one pre-token).
    virtual std::vector<int64_t> encode(const std::string &utf8, bool addSpecial = false) const = 0;

    /// The pieces encode() would produce (WordPiece: "##" marks a word continuation, unknown words are
    /// the [UNK] token; SentencePiece: pieces with U+2581 for spaces; "bpe": the vocabulary strings,
    /// e.g. "Ġworld" for byte-level models), without [CLS]/[SEP] (or the post-processor's tokens).
    virtual std::vector<std::string> tokenize(const std::string &utf8) const = 0;

    /// The vocabulary entry of an id; throws Error for an id outside [0, vocabSize()).
    virtual std::string idToToken(int64_t id) const = 0;

    /// The id of a vocabulary entry, or -1 if there is none (no fallback to [UNK]).
    virtual int64_t tokenToId(const std::string &token) const = 0;

    /// Number of ids (WordPiece: lines of vocab.txt; SentencePiece: pieces; "bpe": largest id + 1),
    /// i.e. the embedding rows.
    virtual int64_t vocabSize() const = 0;

    /// Ids of the special tokens, -1 if the vocabulary has none. WordPiece: the entries "[PAD]",
    /// "[UNK]", "[CLS]", "[SEP]", "[MASK]". SentencePiece: the same pieces if the model has them,
    /// otherwise the model's pad_id(), unk_id(), bos_id() (for CLS), eos_id() (for SEP) and the piece
    /// "<mask>" (for MASK). "bpe": see fromTokenizerJson.
    int64_t padId() const { return m_padId; }
    int64_t unkId() const { return m_unkId; }
    int64_t clsId() const { return m_clsId; }
    int64_t sepId() const { return m_sepId; }
    int64_t maskId() const { return m_maskId; }

    /// "wordpiece", "sentencepiece" or "bpe".
    virtual std::string kind() const = 0;

protected:
    Tokenizer() = default;

    int64_t m_padId = -1;
    int64_t m_unkId = -1;
    int64_t m_clsId = -1;
    int64_t m_sepId = -1;
    int64_t m_maskId = -1;
};

/// What trainSentencePieceModel needs. The special pieces are fixed: [PAD]=0, [UNK]=1, [CLS]=2 (BOS),
/// [SEP]=3 (EOS) and the user-defined piece [MASK] (kept whole by the encoder), so a trained model
/// has every special id of Tokenizer.
struct SentencePieceTrainOptions
{
    std::string input;     ///< UTF-8 text, one document per line (every line is used)
    std::string modelFile; ///< the *.model file to write (its folder is created)
    int64_t vocabSize = 4000;
    std::string modelType = "unigram"; ///< "unigram" | "bpe"
    int maxSentenceLength = 1 << 16;   ///< bytes; longer lines are skipped by SentencePiece
};

/// Trains a SentencePiece model with libsentencepiece_train, through the same plugin as the encoder
/// (sentencepiece_plugin.h). Deterministic: one thread, all lines, no sampling, so the same input and
/// options give the same file. The file appears atomically (temporary prefix + rename). Throws Error
/// naming the input or output file and the reason (trainer status, missing plugin, bad vocab size).
/// Not thread-safe: SentencePiece's trainer has global state.
void trainSentencePieceModel(const SentencePieceTrainOptions &options);

} // namespace entroscope
