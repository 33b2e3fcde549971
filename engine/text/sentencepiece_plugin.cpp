// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
//
// The only code that links libsentencepiece; see sentencepiece_plugin.h for why it is a plugin. It
// adapts SentencePieceProcessor to the C interface and turns every status and exception into a
// return value: nothing may unwind out of a dlopen'ed module into the executable.
#include "text/sentencepiece_plugin.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct EntroscopeSpModel
{
    sentencepiece::SentencePieceProcessor processor;
};

namespace {

// Copies a message into the caller's buffer, truncated and NUL-terminated. Multi-line texts (some of
// protobuf's) become one line, since the caller shows them as one-line errors.
void setError(char *error, size_t errorSize, std::string_view message) noexcept
{
    if (!error || errorSize == 0)
        return;
    const size_t n = std::min(message.size(), errorSize - 1);
    for (size_t k = 0; k < n; ++k)
        error[k] = (message[k] == '\n' || message[k] == '\r') ? ' ' : message[k];
    error[n] = '\0';
}

// Runs f and maps an escaping exception to -1 plus its text; f reports its own failures the same way.
template<typename F>
int guarded(char *error, size_t errorSize, F &&f) noexcept
{
    try {
        return f();
    } catch (const std::exception &e) {
        setError(error, errorSize, e.what());
    } catch (...) {
        setError(error, errorSize, "unknown exception in libsentencepiece");
    }
    return -1;
}

// malloc, not new: the caller frees through entroscope_sp_free, and a zero-size result must still be
// a valid non-NULL pointer so that NULL always means failure.
template<typename T>
T *allocate(size_t count)
{
    void *p = std::malloc(std::max<size_t>(count, 1) * sizeof(T));
    if (!p)
        throw std::bad_alloc();
    return static_cast<T *>(p);
}

} // namespace

extern "C" {

int entroscope_sp_abi_version(void) noexcept
{
    return ENTROSCOPE_SP_ABI_VERSION;
}

EntroscopeSpModel *entroscope_sp_create(const char *path, char *error, size_t errorSize) noexcept
{
    setError(error, errorSize, "");
    if (!path) {
        setError(error, errorSize, "no model path given");
        return nullptr;
    }
    std::unique_ptr<EntroscopeSpModel> model;
    const int rc = guarded(error, errorSize, [&] {
        model = std::make_unique<EntroscopeSpModel>();
        // A corrupt file comes back as a status; a protobuf runtime clash as an exception (guarded).
        const auto status = model->processor.Load(std::string(path));
        if (!status.ok()) {
            setError(error, errorSize, status.ToString());
            return -1;
        }
        return 0;
    });
    return rc == 0 ? model.release() : nullptr;
}

void entroscope_sp_destroy(EntroscopeSpModel *model) noexcept
{
    delete model;
}

void entroscope_sp_free(void *buffer) noexcept
{
    std::free(buffer);
}

int entroscope_sp_encode_ids(const EntroscopeSpModel *model, const char *text, size_t textSize, int32_t **ids,
                             size_t *count, char *error, size_t errorSize) noexcept
{
    if (!model || !ids || !count || (!text && textSize > 0)) {
        setError(error, errorSize, "invalid arguments to entroscope_sp_encode_ids");
        return -1;
    }
    *ids = nullptr;
    *count = 0;
    return guarded(error, errorSize, [&] {
        std::vector<int> raw;
        const auto status = model->processor.Encode(std::string_view(text ? text : "", textSize), &raw);
        if (!status.ok()) {
            setError(error, errorSize, status.ToString());
            return -1;
        }
        int32_t *out = allocate<int32_t>(raw.size());
        std::copy(raw.begin(), raw.end(), out);
        *ids = out;
        *count = raw.size();
        return 0;
    });
}

int entroscope_sp_encode_pieces(const EntroscopeSpModel *model, const char *text, size_t textSize, char **bytes,
                                size_t **ends, size_t *count, char *error, size_t errorSize) noexcept
{
    if (!model || !bytes || !ends || !count || (!text && textSize > 0)) {
        setError(error, errorSize, "invalid arguments to entroscope_sp_encode_pieces");
        return -1;
    }
    *bytes = nullptr;
    *ends = nullptr;
    *count = 0;
    return guarded(error, errorSize, [&] {
        std::vector<std::string> pieces;
        const auto status = model->processor.Encode(std::string_view(text ? text : "", textSize), &pieces);
        if (!status.ok()) {
            setError(error, errorSize, status.ToString());
            return -1;
        }
        size_t total = 0;
        for (const std::string &p : pieces)
            total += p.size();
        std::unique_ptr<char, decltype(&std::free)> outBytes(allocate<char>(total), &std::free);
        size_t *outEnds = allocate<size_t>(pieces.size()); // last allocation: nothing can throw after it
        size_t offset = 0;
        for (size_t k = 0; k < pieces.size(); ++k) {
            std::memcpy(outBytes.get() + offset, pieces[k].data(), pieces[k].size());
            offset += pieces[k].size();
            outEnds[k] = offset;
        }
        *bytes = outBytes.release();
        *ends = outEnds;
        *count = pieces.size();
        return 0;
    });
}

// The lookups below do not throw in libsentencepiece (a failed check returns a default value), so
// they need no guard: noexcept would turn a surprise into std::terminate, never into an unwinding.
const char *entroscope_sp_id_to_piece(const EntroscopeSpModel *model, int32_t id, size_t *size) noexcept
{
    if (size)
        *size = 0;
    if (!model || !size || id < 0 || id >= model->processor.GetPieceSize())
        return nullptr;
    // A reference into the loaded model proto, so it lives as long as the model.
    const std::string &piece = model->processor.IdToPiece(id);
    *size = piece.size();
    return piece.data();
}

int32_t entroscope_sp_piece_to_id(const EntroscopeSpModel *model, const char *piece, size_t size) noexcept
{
    if (!model || (!piece && size > 0))
        return -1;
    return model->processor.PieceToId(std::string_view(piece ? piece : "", size));
}

int32_t entroscope_sp_get_piece_size(const EntroscopeSpModel *model) noexcept
{
    return model ? model->processor.GetPieceSize() : 0;
}

int32_t entroscope_sp_pad_id(const EntroscopeSpModel *model) noexcept
{
    return model ? model->processor.pad_id() : -1;
}

int32_t entroscope_sp_unk_id(const EntroscopeSpModel *model) noexcept
{
    return model ? model->processor.unk_id() : -1;
}

int32_t entroscope_sp_bos_id(const EntroscopeSpModel *model) noexcept
{
    return model ? model->processor.bos_id() : -1;
}

int32_t entroscope_sp_eos_id(const EntroscopeSpModel *model) noexcept
{
    return model ? model->processor.eos_id() : -1;
}

int entroscope_sp_train(const EntroscopeSpTrainSpec *spec, char *error, size_t errorSize) noexcept
{
    setError(error, errorSize, "");
    if (!spec || !spec->input || !spec->modelPrefix || !spec->padPiece || !spec->unkPiece || !spec->bosPiece
        || !spec->eosPiece || spec->vocabSize <= 0) {
        setError(error, errorSize, "invalid arguments to entroscope_sp_train");
        return -1;
    }
    return guarded(error, errorSize, [&] {
        const int32_t maxLength = spec->maxSentenceLength > 0 ? spec->maxSentenceLength : (1 << 16);
        std::unordered_map<std::string, std::string> kwargs = {
            {"input", spec->input},
            {"model_prefix", spec->modelPrefix},
            {"vocab_size", std::to_string(spec->vocabSize)},
            {"model_type", spec->modelType && *spec->modelType ? spec->modelType : "unigram"},
            {"character_coverage", "1.0"},
            {"normalization_rule_name", "nmt_nfkc"},
            {"input_sentence_size", "0"},
            {"shuffle_input_sentence", "false"},
            {"num_threads", "1"},
            {"max_sentence_length", std::to_string(maxLength)},
            {"pad_id", "0"},
            {"unk_id", "1"},
            {"bos_id", "2"},
            {"eos_id", "3"},
            {"pad_piece", spec->padPiece},
            {"unk_piece", spec->unkPiece},
            {"bos_piece", spec->bosPiece},
            {"eos_piece", spec->eosPiece},
            {"minloglevel", "1"},
        };
        if (spec->userSymbols && *spec->userSymbols)
            kwargs["user_defined_symbols"] = spec->userSymbols;
        const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs);
        if (!status.ok()) {
            setError(error, errorSize, status.ToString());
            return -1;
        }
        return 0;
    });
}

} // extern "C"
