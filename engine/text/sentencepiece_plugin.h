// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The C interface of the SentencePiece plugin (libentroscope_sentencepiece.so, a CMake MODULE).
//
// Why a plugin: Debian's libsentencepiece embeds and exports its own protobuf 3.14 runtime, and
// LibTorch brings the system libprotobuf.so.32 (3.21). Linked into one executable, the two either
// crash before main or make every model load fail protobuf's version check. So no executable links
// libsentencepiece; only this module does, and tokenizer.cpp opens it with
// dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND), which makes libsentencepiece resolve the protobuf
// symbols to its own copy even when libprotobuf.so.32 is already loaded.
//
// Why plain C: the module and the executable must not share any C++ type whose layout or symbols
// could come from the "other" library, and an exception must never unwind through dlopen'ed code
// into the caller. So only C types cross, every function is noexcept, and failures come back as
// return values plus a message copied into a caller-provided buffer (no allocation on error paths).
//
// Threads: a model is immutable after create; every function taking a const model may be called from
// several threads at once (SentencePieceProcessor's const members are thread-safe).

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
#define ENTROSCOPE_SP_NOEXCEPT noexcept
extern "C" {
#else
#define ENTROSCOPE_SP_NOEXCEPT
#endif

// The module is built with hidden visibility; only these functions are exported.
#define ENTROSCOPE_SP_EXPORT __attribute__((visibility("default")))

/// Bumped on every incompatible change; the loader refuses a module with another number (a stale
/// module from an older build next to a newer executable).
#define ENTROSCOPE_SP_ABI_VERSION 2

/// Opaque: a loaded SentencePiece model.
typedef struct EntroscopeSpModel EntroscopeSpModel;

ENTROSCOPE_SP_EXPORT int entroscope_sp_abi_version(void) ENTROSCOPE_SP_NOEXCEPT;

/// Loads a *.model file. Returns NULL on failure, with a one-line reason (libsentencepiece's status
/// text or the exception protobuf threw) in error[0..errorSize), always NUL-terminated, possibly
/// truncated. error may be NULL if errorSize is 0.
ENTROSCOPE_SP_EXPORT EntroscopeSpModel *entroscope_sp_create(const char *path, char *error,
                                                             size_t errorSize) ENTROSCOPE_SP_NOEXCEPT;

/// Frees a model from entroscope_sp_create; NULL is allowed.
ENTROSCOPE_SP_EXPORT void entroscope_sp_destroy(EntroscopeSpModel *model) ENTROSCOPE_SP_NOEXCEPT;

/// Frees a buffer returned by an encode function; NULL is allowed.
ENTROSCOPE_SP_EXPORT void entroscope_sp_free(void *buffer) ENTROSCOPE_SP_NOEXCEPT;

/// Text (UTF-8, textSize bytes, need not be NUL-terminated) -> ids. Returns 0 and sets *ids (free
/// with entroscope_sp_free, never NULL on success) and *count; returns -1 with a message in error
/// on failure, leaving *ids NULL.
ENTROSCOPE_SP_EXPORT int entroscope_sp_encode_ids(const EntroscopeSpModel *model, const char *text,
                                                  size_t textSize, int32_t **ids, size_t *count, char *error,
                                                  size_t errorSize) ENTROSCOPE_SP_NOEXCEPT;

/// Text -> pieces, as SentencePiece's Encode to pieces (an unknown piece is its surface text, not
/// the unk piece). All pieces are concatenated in *bytes; piece k is bytes[ends[k-1] .. ends[k])
/// (ends[-1] taken as 0). Pieces may contain any byte, so they are not NUL-separated. Returns 0 and
/// sets *bytes, *ends (both freed with entroscope_sp_free, never NULL on success) and *count;
/// returns -1 with a message in error on failure, leaving both NULL.
ENTROSCOPE_SP_EXPORT int entroscope_sp_encode_pieces(const EntroscopeSpModel *model, const char *text,
                                                     size_t textSize, char **bytes, size_t **ends,
                                                     size_t *count, char *error,
                                                     size_t errorSize) ENTROSCOPE_SP_NOEXCEPT;

/// The piece of an id, *size bytes at the returned address (not NUL-terminated in general), valid
/// as long as the model. NULL for an id outside [0, piece size).
ENTROSCOPE_SP_EXPORT const char *entroscope_sp_id_to_piece(const EntroscopeSpModel *model, int32_t id,
                                                           size_t *size) ENTROSCOPE_SP_NOEXCEPT;

/// The id of a piece; like SentencePiece, the unk id for a piece that is not in the model. -1 only
/// for invalid arguments.
ENTROSCOPE_SP_EXPORT int32_t entroscope_sp_piece_to_id(const EntroscopeSpModel *model, const char *piece,
                                                       size_t size) ENTROSCOPE_SP_NOEXCEPT;

/// Number of pieces (ids are 0 .. piece size - 1).
ENTROSCOPE_SP_EXPORT int32_t entroscope_sp_get_piece_size(const EntroscopeSpModel *model) ENTROSCOPE_SP_NOEXCEPT;

/// The model's special ids, -1 if the model has none.
ENTROSCOPE_SP_EXPORT int32_t entroscope_sp_pad_id(const EntroscopeSpModel *model) ENTROSCOPE_SP_NOEXCEPT;
ENTROSCOPE_SP_EXPORT int32_t entroscope_sp_unk_id(const EntroscopeSpModel *model) ENTROSCOPE_SP_NOEXCEPT;
ENTROSCOPE_SP_EXPORT int32_t entroscope_sp_bos_id(const EntroscopeSpModel *model) ENTROSCOPE_SP_NOEXCEPT;
ENTROSCOPE_SP_EXPORT int32_t entroscope_sp_eos_id(const EntroscopeSpModel *model) ENTROSCOPE_SP_NOEXCEPT;

/// The special pieces of a model trained by entroscope_sp_train. pad, unk, bos and eos become ids
/// 0, 1, 2, 3 (in that order) as control/unknown pieces; userSymbols (may be NULL or empty) is a
/// comma-separated list of user-defined pieces (e.g. "[MASK]") that the encoder keeps whole.
typedef struct EntroscopeSpTrainSpec
{
    const char *input;       ///< UTF-8 text file, one sentence (document) per line
    const char *modelPrefix; ///< writes <modelPrefix>.model and <modelPrefix>.vocab
    int32_t vocabSize;
    const char *padPiece;
    const char *unkPiece;
    const char *bosPiece;
    const char *eosPiece;
    const char *userSymbols;
    const char *modelType;      ///< "unigram" or "bpe"; NULL = unigram
    int32_t maxSentenceLength;  ///< bytes; longer lines are skipped by the trainer; <= 0 = 1 << 16
} EntroscopeSpTrainSpec;

/// Trains a SentencePiece model with libsentencepiece_train (SentencePieceTrainer::Train), on every
/// line of the input (no sampling, no shuffling, one thread: the result depends only on the input and
/// the spec). NFKC normalisation ("nmt_nfkc"), character coverage 1.0. Returns 0 on success; -1 with
/// the trainer's status text in error. Not thread-safe (the trainer uses global state).
ENTROSCOPE_SP_EXPORT int entroscope_sp_train(const EntroscopeSpTrainSpec *spec, char *error,
                                             size_t errorSize) ENTROSCOPE_SP_NOEXCEPT;

#if defined(__cplusplus)
} // extern "C"
#endif
