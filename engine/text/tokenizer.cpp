// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "text/tokenizer.h"

#include "errors.h"
#include "text/sentencepiece_plugin.h"
#include "text/utf8.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string_view>
#include <unordered_map>

// Set by engine/CMakeLists.txt: the module's file name and where the build put it.
#if !defined(ENTROSCOPE_SENTENCEPIECE_PLUGIN_NAME) || !defined(ENTROSCOPE_SENTENCEPIECE_PLUGIN_PATH)
#error "ENTROSCOPE_SENTENCEPIECE_PLUGIN_NAME and ENTROSCOPE_SENTENCEPIECE_PLUGIN_PATH must be defined"
#endif

namespace fs = std::filesystem;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENTROSCOPE_CLANG_ASAN 1
#endif
#endif
#ifndef ENTROSCOPE_CLANG_ASAN
#define ENTROSCOPE_CLANG_ASAN 0
#endif

namespace entroscope {

Tokenizer::~Tokenizer() = default;

namespace {

const char *const kPadName = "[PAD]";
const char *const kUnkName = "[UNK]";
const char *const kClsName = "[CLS]";
const char *const kSepName = "[SEP]";
const char *const kMaskName = "[MASK]";

// HF WordpieceTokenizer.max_input_chars_per_word: a longer word is [UNK] without a search.
constexpr size_t kMaxWordChars = 100;

constexpr char32_t kReplacement = utf8::kReplacement;

// The UTF-8 helpers live in text/utf8.h (shared with the tokenizer.json tokenizer).
bool decodeUtf8(const unsigned char *&p, const unsigned char *end, char32_t &cp)
{
    return utf8::decode(p, end, cp);
}

void appendUtf8(std::string &out, char32_t cp)
{
    utf8::append(out, cp);
}

bool isValidUtf8(std::string_view s)
{
    return utf8::isValid(s);
}

size_t countCodePoints(std::string_view s)
{
    // Every byte that is not a continuation byte starts a code point (the text was validated).
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// BERT's _is_chinese_char: the CJK ideograph blocks that get spaces around them. Deliberately not
// "all of Han" (no kana, hangul, CJK punctuation or radicals), since the vocabulary was built this way.
bool isCjkIdeograph(char32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
           || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
           || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// BERT's _is_punctuation: all ASCII non-alphanumeric printables count ($, +, ^, ... are symbols, not
// punctuation, in Unicode) plus every Unicode P* character.
bool isPunctuation(char32_t c)
{
    if (c < 0x80)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_P_MASK) != 0;
}

// libsentencepiece's status texts and dlerror() may end in spaces or span lines; Error messages are
// one line.
std::string oneLine(std::string text)
{
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r'))
        text.pop_back();
    return text;
}

/// The WordPiece side: vocab.txt with HF BertTokenizer (slow) rules.
///
/// Pipeline per text, in HF's order:
///  1. the literal special tokens [PAD] [UNK] [CLS] [SEP] [MASK] (those in the vocabulary) are cut
///     out of the raw text, case-sensitively, wherever they occur (HF's added-token trie), and the
///     pieces between them are tokenised independently;
///  2. lowercase one code point at a time (see appendLowered for why not per word);
///  3. clean: drop U+0000, U+FFFD and all C* (controls, format chars such as U+200B/U+FEFF/U+00AD,
///     unassigned, private use) except \t \n \r; \t \n \r and Zs become a space;
///  4. CJK ideographs become words of their own;
///  5. split at whitespace; like Python's str.split() this includes U+2028/U+2029, the only
///     separators that survive step 3;
///  6. per word: NFD and drop Mn (accents; NFD also maps CJK compatibility ideographs to unified ones);
///  7. split at punctuation, each punctuation character a piece;
///  8. WordPiece: greedy longest match first, continuation pieces looked up with "##"; a piece longer
///     than 100 code points, or one that cannot be covered, is a single [UNK].
/// HF also NFC-normalises before step 5. With per-word lowercasing and NFD following it, that has
/// changed no result we could find (fixtures, and a differential run of 36 000 random mixed-script
/// texts against the fixture script's Python reference), so it is skipped.
/// Character properties come from ICU (Unicode 15 in Debian 12), HF's from Python's unicodedata
/// (Unicode 14 in Python 3.11): characters new in Unicode 15 are unassigned, hence dropped, there
/// but kept (and usually [UNK]) here.
class WordPieceTokenizer final : public Tokenizer
{
public:
    WordPieceTokenizer(std::vector<std::string> tokens, std::string source)
        : m_tokens(std::move(tokens))
        , m_source(std::move(source))
    {
        // The maps hold views into m_tokens, which is never modified after this point.
        m_wordStart.reserve(m_tokens.size() * 2);
        m_continuation.reserve(m_tokens.size());
        for (size_t id = 0; id < m_tokens.size(); ++id) {
            const std::string_view token = m_tokens[id];
            const size_t chars = countCodePoints(token);
            // Assignment, not insert: with duplicate lines the later id wins, as in HF's dict.
            m_wordStart[token] = static_cast<int64_t>(id);
            m_maxTokenChars = std::max(m_maxTokenChars, chars);
            if (token.size() > 2 && token.compare(0, 2, "##") == 0)
                m_continuation[token.substr(2)] = static_cast<int64_t>(id);
        }
        m_padId = tokenToId(kPadName);
        m_unkId = tokenToId(kUnkName);
        m_clsId = tokenToId(kClsName);
        m_sepId = tokenToId(kSepName);
        m_maskId = tokenToId(kMaskName);
        for (const char *name : {kPadName, kUnkName, kClsName, kSepName, kMaskName}) {
            const int64_t id = tokenToId(name);
            if (id >= 0)
                m_specials.push_back({name, id});
        }
        UErrorCode status = U_ZERO_ERROR;
        m_nfd = icu::Normalizer2::getNFDInstance(status);
        if (U_FAILURE(status) || !m_nfd)
            throw Error(m_source + ": ICU has no NFD normaliser (" + u_errorName(status) + ")");
    }

    std::vector<int64_t> encode(const std::string &utf8, bool addSpecial) const override
    {
        std::vector<int64_t> ids;
        // Chinese text gives about one id per 3 bytes, ASCII text fewer: a cheap upper-ish bound.
        ids.reserve(utf8.size() / 3 + 2);
        if (addSpecial) {
            requireSpecial(m_clsId, kClsName);
            requireSpecial(m_sepId, kSepName);
            ids.push_back(m_clsId);
        }
        encodeInto(utf8, ids);
        if (addSpecial)
            ids.push_back(m_sepId);
        return ids;
    }

    std::vector<std::string> tokenize(const std::string &utf8) const override
    {
        std::vector<int64_t> ids;
        encodeInto(utf8, ids);
        std::vector<std::string> pieces;
        pieces.reserve(ids.size());
        for (int64_t id : ids)
            pieces.push_back(m_tokens[static_cast<size_t>(id)]);
        return pieces;
    }

    std::string idToToken(int64_t id) const override
    {
        if (id < 0 || id >= vocabSize())
            throw Error(m_source + ": token id " + std::to_string(id) + " is outside the vocabulary (0.."
                        + std::to_string(vocabSize() - 1) + ")");
        return m_tokens[static_cast<size_t>(id)];
    }

    int64_t tokenToId(const std::string &token) const override
    {
        const auto it = m_wordStart.find(token);
        return it == m_wordStart.end() ? -1 : it->second;
    }

    int64_t vocabSize() const override { return static_cast<int64_t>(m_tokens.size()); }

    std::string kind() const override { return "wordpiece"; }

private:
    struct Special
    {
        std::string text;
        int64_t id;
    };

    // Per-call buffers, reused across words so that a long text costs no allocation per word.
    struct Scratch
    {
        std::u32string word;        // current whitespace-delimited word, already lowercased
        bool wordNeedsNfd = false;  // it holds a code point NFD would change, or an Mn to drop
        std::u32string normalized;  // the word after NFD and Mn removal
        std::string utf8;           // the piece under WordPiece search, as UTF-8 ...
        std::vector<size_t> offsets; // ... and the byte offset of each of its code points
    };

    void requireSpecial(int64_t id, const char *name) const
    {
        if (id < 0)
            throw Error(m_source + ": the vocabulary has no " + name + " entry, needed to add special tokens");
    }

    void encodeInto(std::string_view text, std::vector<int64_t> &out) const
    {
        Scratch s;
        size_t segmentStart = 0;
        size_t pos = 0;
        while ((pos = text.find('[', pos)) != std::string_view::npos) {
            const Special *hit = nullptr;
            for (const Special &special : m_specials) {
                if (text.compare(pos, special.text.size(), special.text) == 0) {
                    hit = &special;
                    break;
                }
            }
            if (!hit) {
                ++pos;
                continue;
            }
            encodeSegment(text.substr(segmentStart, pos - segmentStart), s, out);
            out.push_back(hit->id);
            pos += hit->text.size();
            segmentStart = pos;
        }
        encodeSegment(text.substr(segmentStart), s, out);
    }

    // Steps 2-5 in one pass over the code points; words go to finishWord.
    void encodeSegment(std::string_view segment, Scratch &s, std::vector<int64_t> &out) const
    {
        auto p = reinterpret_cast<const unsigned char *>(segment.data());
        const auto end = p + segment.size();
        s.word.clear();
        s.wordNeedsNfd = false;
        while (p < end) {
            if (*p < 0x80) {
                // ASCII fast path: no normalisation, no ICU call.
                const char32_t c = *p++;
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
                    finishWord(s, out);
                else if (c < 0x20 || c == 0x7F)
                    continue; // Cc, NUL included
                else
                    s.word.push_back(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
                continue;
            }
            char32_t c;
            if (!decodeUtf8(p, end, c) || c == kReplacement)
                continue;
            const uint32_t category = U_GET_GC_MASK(static_cast<UChar32>(c));
            if (category & U_GC_C_MASK)
                continue;
            if ((category & U_GC_ZS_MASK) || c == 0x2028 || c == 0x2029) {
                finishWord(s, out);
            } else if (isCjkIdeograph(c)) {
                finishWord(s, out);
                appendChecked(c, s);
                finishWord(s, out);
            } else {
                appendLowered(c, s);
            }
        }
        finishWord(s, out);
    }

    // HF (PreTrainedTokenizer.tokenize with do_lower_case) lowercases the text outside the special
    // tokens one character at a time, before BasicTokenizer lowercases each word again. So str.lower()
    // never sees a context: "ΟΔΟΣ" becomes "οδοσ", not "οδος" with a final sigma. ICU lowercases one
    // code point without context the same way (full mapping: U+0130 becomes "i" + U+0307).
    void appendLowered(char32_t c, Scratch &s) const
    {
        if (!u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CHANGES_WHEN_LOWERCASED)) {
            appendChecked(c, s);
            return;
        }
        UChar src[2];
        int32_t srcLength = 0;
        U16_APPEND_UNSAFE(src, srcLength, static_cast<UChar32>(c));
        UChar dst[8];
        UErrorCode status = U_ZERO_ERROR;
        const int32_t dstLength = u_strToLower(dst, 8, src, srcLength, "", &status);
        if (U_FAILURE(status)) {
            appendChecked(c, s);
            return;
        }
        for (int32_t k = 0; k < dstLength;) {
            UChar32 lowered;
            U16_NEXT(dst, k, dstLength, lowered);
            appendChecked(static_cast<char32_t>(lowered), s);
        }
    }

    void appendChecked(char32_t c, Scratch &s) const
    {
        if (c >= 0x80
            && (!m_nfd->isInert(static_cast<UChar32>(c)) || u_charType(static_cast<UChar32>(c)) == U_NON_SPACING_MARK))
            s.wordNeedsNfd = true;
        s.word.push_back(c);
    }

    // Steps 6-8 for one whitespace-delimited word.
    void finishWord(Scratch &s, std::vector<int64_t> &out) const
    {
        if (s.word.empty())
            return;
        const std::u32string *word = &s.word;
        if (s.wordNeedsNfd) {
            UErrorCode status = U_ZERO_ERROR;
            const icu::UnicodeString decomposed = m_nfd->normalize(
                icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32 *>(s.word.data()),
                                              static_cast<int32_t>(s.word.size())),
                status);
            if (U_FAILURE(status))
                throw Error(m_source + ": NFD normalisation failed (" + u_errorName(status) + ")");
            s.normalized.clear();
            for (int32_t k = 0; k < decomposed.length();) {
                const UChar32 c = decomposed.char32At(k);
                k += U16_LENGTH(c);
                if (u_charType(c) != U_NON_SPACING_MARK)
                    s.normalized.push_back(static_cast<char32_t>(c));
            }
            word = &s.normalized;
        }
        const char32_t *pieceStart = word->data();
        const char32_t *const wordEnd = word->data() + word->size();
        for (const char32_t *q = pieceStart; q != wordEnd; ++q) {
            if (isPunctuation(*q)) {
                if (q != pieceStart)
                    wordPiece(pieceStart, q, s, out);
                wordPiece(q, q + 1, s, out);
                pieceStart = q + 1;
            }
        }
        if (pieceStart != wordEnd)
            wordPiece(pieceStart, wordEnd, s, out);
        s.word.clear();
        s.wordNeedsNfd = false;
    }

    // Step 8: greedy longest-match-first. Candidates are views into one UTF-8 buffer, so a lookup
    // builds no string; no vocabulary entry is longer than m_maxTokenChars, so longer candidates are
    // not tried (same result as HF, which tries them and fails).
    void wordPiece(const char32_t *begin, const char32_t *end, Scratch &s, std::vector<int64_t> &out) const
    {
        const size_t n = static_cast<size_t>(end - begin);
        if (n > kMaxWordChars) {
            out.push_back(unknownId());
            return;
        }
        s.utf8.clear();
        s.offsets.clear();
        for (const char32_t *q = begin; q != end; ++q) {
            s.offsets.push_back(s.utf8.size());
            appendUtf8(s.utf8, *q);
        }
        s.offsets.push_back(s.utf8.size());

        const size_t mark = out.size();
        size_t start = 0;
        while (start < n) {
            const auto &map = start == 0 ? m_wordStart : m_continuation;
            int64_t id = -1;
            size_t stop = std::min(n, start + m_maxTokenChars);
            for (; stop > start; --stop) {
                const auto it = map.find(
                    std::string_view(s.utf8.data() + s.offsets[start], s.offsets[stop] - s.offsets[start]));
                if (it != map.end()) {
                    id = it->second;
                    break;
                }
            }
            if (id < 0) {
                out.resize(mark);
                out.push_back(unknownId());
                return;
            }
            out.push_back(id);
            start = stop;
        }
    }

    int64_t unknownId() const
    {
        if (m_unkId < 0)
            throw Error(m_source + ": the text has a word that is not in the vocabulary, and the vocabulary "
                                   "has no [UNK] entry");
        return m_unkId;
    }

    std::vector<std::string> m_tokens;                            // id -> token
    std::unordered_map<std::string_view, int64_t> m_wordStart;    // token -> id (every entry)
    std::unordered_map<std::string_view, int64_t> m_continuation; // "##x" entries, keyed by x
    size_t m_maxTokenChars = 1;
    std::vector<Special> m_specials; // the special tokens present in the vocabulary
    std::string m_source;            // the vocab file, for messages
    const icu::Normalizer2 *m_nfd = nullptr; // owned by ICU, immutable, thread-safe
};

/// The entry points of the SentencePiece plugin (sentencepiece_plugin.h explains why it is one).
struct SentencePiecePlugin
{
    decltype(&entroscope_sp_create) create = nullptr;
    decltype(&entroscope_sp_destroy) destroy = nullptr;
    decltype(&entroscope_sp_free) free = nullptr;
    decltype(&entroscope_sp_encode_ids) encodeIds = nullptr;
    decltype(&entroscope_sp_encode_pieces) encodePieces = nullptr;
    decltype(&entroscope_sp_id_to_piece) idToPiece = nullptr;
    decltype(&entroscope_sp_piece_to_id) pieceToId = nullptr;
    decltype(&entroscope_sp_get_piece_size) pieceSize = nullptr;
    decltype(&entroscope_sp_pad_id) padId = nullptr;
    decltype(&entroscope_sp_unk_id) unkId = nullptr;
    decltype(&entroscope_sp_bos_id) bosId = nullptr;
    decltype(&entroscope_sp_eos_id) eosId = nullptr;
    decltype(&entroscope_sp_train) train = nullptr;
};

constexpr const char *kPluginEnv = "ENTROSCOPE_SENTENCEPIECE_PLUGIN";
constexpr size_t kPluginErrorSize = 1024; // protobuf's version-clash text is about 400 bytes

// Where the module may be, in order. The variable, when set, is the only place: a deliberate choice
// that silently fell back to another copy would hide the mistake. Otherwise the layout of an
// installed or relocated tree (bin/ beside lib/), the executable's own folder, and last the build
// tree, so that tests and the build's executables work without any set-up.
std::vector<std::string> pluginCandidates(bool &fromEnv)
{
    const char *variable = std::getenv(kPluginEnv);
    fromEnv = variable && *variable;
    if (fromEnv)
        return {variable};
    std::vector<std::string> candidates;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec && exe.has_parent_path()) {
        candidates.push_back((exe.parent_path().parent_path() / "lib" / ENTROSCOPE_SENTENCEPIECE_PLUGIN_NAME).string());
        candidates.push_back((exe.parent_path() / ENTROSCOPE_SENTENCEPIECE_PLUGIN_NAME).string());
    }
    const std::string built = ENTROSCOPE_SENTENCEPIECE_PLUGIN_PATH;
    if (std::find(candidates.begin(), candidates.end(), built) == candidates.end())
        candidates.push_back(built);
    return candidates;
}

// dlsym for one entry point; false (with the reason) if the module lacks it.
template<typename F>
bool resolve(void *handle, const char *name, F &target, std::string &why)
{
    dlerror();
    void *symbol = dlsym(handle, name);
    if (!symbol) {
        const char *text = dlerror();
        why = text ? text : std::string(name) + ": symbol not found";
        return false;
    }
    target = reinterpret_cast<F>(symbol);
    return true;
}

// Opens one candidate; false (with the reason) if it is not a usable plugin.
bool openPlugin(const std::string &path, SentencePiecePlugin &api, std::string &why)
{
    // RTLD_DEEPBIND: libsentencepiece (and this module) look symbols up in their own dependency tree
    // before the executable's, so its embedded protobuf 3.14 is used even when LibTorch's
    // libprotobuf.so.32 is already loaded. RTLD_LOCAL keeps those 3.14 symbols from being seen by
    // anything loaded later. RTLD_NOW reports a missing dependency here, not at a first call.
#if defined(ENTROSCOPE_SANITIZE) || defined(__SANITIZE_ADDRESS__) || ENTROSCOPE_CLANG_ASAN
    // AddressSanitizer aborts the process on RTLD_DEEPBIND; say so instead (sanitizer builds only).
    why = path + ": SentencePiece is not available in sanitizer builds (ASan refuses dlopen with RTLD_DEEPBIND)";
    (void)api;
    return false;
#endif
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) {
        const char *text = dlerror();
        why = text ? text : path + ": dlopen failed";
        return false;
    }
    // On failure below the handle is left open on purpose: unloading code that may have registered
    // protobuf descriptors and exit handlers is riskier than one leaked handle on an error path.
    decltype(&entroscope_sp_abi_version) abiVersion = nullptr;
    if (!resolve(handle, "entroscope_sp_abi_version", abiVersion, why))
        return false;
    if (abiVersion() != ENTROSCOPE_SP_ABI_VERSION) {
        why = path + ": plugin interface version " + std::to_string(abiVersion()) + ", this program needs "
              + std::to_string(ENTROSCOPE_SP_ABI_VERSION) + " (a module from another build?)";
        return false;
    }
    return resolve(handle, "entroscope_sp_create", api.create, why)
           && resolve(handle, "entroscope_sp_destroy", api.destroy, why)
           && resolve(handle, "entroscope_sp_free", api.free, why)
           && resolve(handle, "entroscope_sp_encode_ids", api.encodeIds, why)
           && resolve(handle, "entroscope_sp_encode_pieces", api.encodePieces, why)
           && resolve(handle, "entroscope_sp_id_to_piece", api.idToPiece, why)
           && resolve(handle, "entroscope_sp_piece_to_id", api.pieceToId, why)
           && resolve(handle, "entroscope_sp_get_piece_size", api.pieceSize, why)
           && resolve(handle, "entroscope_sp_pad_id", api.padId, why)
           && resolve(handle, "entroscope_sp_unk_id", api.unkId, why)
           && resolve(handle, "entroscope_sp_bos_id", api.bosId, why)
           && resolve(handle, "entroscope_sp_eos_id", api.eosId, why)
           && resolve(handle, "entroscope_sp_train", api.train, why);
}

// The plugin, loaded on first use and kept for the life of the process (never dlclose'd, for the
// reason in openPlugin). A failure is not remembered, so a later call may succeed, e.g. after the
// environment variable was set. Throws Error naming the model file that needed it.
const SentencePiecePlugin &sentencePiecePlugin(const std::string &modelPath)
{
    static std::mutex mutex;
    static SentencePiecePlugin loaded;
    static bool isLoaded = false;
    const std::lock_guard<std::mutex> lock(mutex);
    if (isLoaded)
        return loaded;

    bool fromEnv = false;
    const std::vector<std::string> candidates = pluginCandidates(fromEnv);
    std::string reasons;
    for (const std::string &path : candidates) {
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            if (fromEnv)
                reasons = path + " (from " + kPluginEnv + ") does not exist";
            continue;
        }
        SentencePiecePlugin api;
        std::string why;
        if (openPlugin(path, api, why)) {
            loaded = api;
            isLoaded = true;
            return loaded;
        }
        reasons += (reasons.empty() ? "" : "; ") + oneLine(why);
    }
    if (reasons.empty()) {
        std::string places;
        for (const std::string &path : candidates)
            places += (places.empty() ? "" : ", ") + path;
        reasons = "not found (looked for " + places + "; set " + kPluginEnv + " to its path)";
    }
    throw Error(modelPath + ": cannot load the SentencePiece plugin " + ENTROSCOPE_SENTENCEPIECE_PLUGIN_NAME + ": "
                + reasons);
}

/// The SentencePiece side: libsentencepiece, reached through the plugin, does all the work; this only
/// adapts names and errors.
class SentencePieceTokenizer final : public Tokenizer
{
public:
    explicit SentencePieceTokenizer(std::string path)
        : m_source(std::move(path))
    {
        std::error_code ec;
        if (!fs::exists(m_source, ec))
            throw Error(m_source + ": SentencePiece model file does not exist");
        if (!fs::is_regular_file(m_source, ec))
            throw Error(m_source + ": not a file (a SentencePiece *.model file was expected)");
        m_api = &sentencePiecePlugin(m_source);

        char error[kPluginErrorSize];
        m_model = ModelPtr(m_api->create(m_source.c_str(), error, sizeof error), m_api->destroy);
        if (!m_model)
            throw Error(m_source + ": cannot load the SentencePiece model: " + oneLine(error));
        m_pieceSize = m_api->pieceSize(model());
        m_modelUnkId = m_api->unkId(model());
        if (m_pieceSize <= 0)
            throw Error(m_source + ": the SentencePiece model has no pieces");

        m_padId = specialId(kPadName, m_api->padId(model()));
        m_unkId = specialId(kUnkName, m_modelUnkId);
        m_clsId = specialId(kClsName, m_api->bosId(model()));
        m_sepId = specialId(kSepName, m_api->eosId(model()));
        m_maskId = specialId(kMaskName, tokenToId("<mask>"));
    }

    std::vector<int64_t> encode(const std::string &utf8, bool addSpecial) const override
    {
        int32_t *raw = nullptr;
        size_t count = 0;
        char error[kPluginErrorSize];
        if (m_api->encodeIds(model(), utf8.data(), utf8.size(), &raw, &count, error, sizeof error) != 0)
            throw Error(m_source + ": SentencePiece cannot encode the text: " + oneLine(error));
        const PluginBuffer owner{raw, m_api->free};
        std::vector<int64_t> ids;
        ids.reserve(count + 2);
        if (addSpecial) {
            requireSpecial(m_clsId, "[CLS] (or a BOS piece)");
            requireSpecial(m_sepId, "[SEP] (or an EOS piece)");
            ids.push_back(m_clsId);
        }
        ids.insert(ids.end(), raw, raw + count);
        if (addSpecial)
            ids.push_back(m_sepId);
        return ids;
    }

    std::vector<std::string> tokenize(const std::string &utf8) const override
    {
        char *bytes = nullptr;
        size_t *ends = nullptr;
        size_t count = 0;
        char error[kPluginErrorSize];
        if (m_api->encodePieces(model(), utf8.data(), utf8.size(), &bytes, &ends, &count, error, sizeof error) != 0)
            throw Error(m_source + ": SentencePiece cannot encode the text: " + oneLine(error));
        const PluginBuffer bytesOwner{bytes, m_api->free};
        const PluginBuffer endsOwner{ends, m_api->free};
        std::vector<std::string> pieces;
        pieces.reserve(count);
        size_t begin = 0;
        for (size_t k = 0; k < count; ++k) {
            pieces.emplace_back(bytes + begin, ends[k] - begin);
            begin = ends[k];
        }
        return pieces;
    }

    std::string idToToken(int64_t id) const override
    {
        size_t size = 0;
        const char *piece = id >= 0 && id < vocabSize() ? m_api->idToPiece(model(), static_cast<int32_t>(id), &size)
                                                        : nullptr;
        if (!piece)
            throw Error(m_source + ": token id " + std::to_string(id) + " is outside the vocabulary (0.."
                        + std::to_string(vocabSize() - 1) + ")");
        return std::string(piece, size);
    }

    int64_t tokenToId(const std::string &token) const override
    {
        // PieceToId answers unk_id() for an unknown piece; only the unknown piece itself may map there.
        const int32_t id = m_api->pieceToId(model(), token.data(), token.size());
        if (id < 0 || id >= m_pieceSize || (id == m_modelUnkId && idToToken(id) != token))
            return -1;
        return id;
    }

    int64_t vocabSize() const override { return m_pieceSize; }

    std::string kind() const override { return "sentencepiece"; }

private:
    // Destroyed by the plugin that made it, also when the constructor throws after create.
    using ModelPtr = std::unique_ptr<EntroscopeSpModel, decltype(&entroscope_sp_destroy)>;

    // Frees a buffer the plugin allocated, with the plugin's own free, on every path out of a call.
    struct PluginBuffer
    {
        void *buffer;
        decltype(&entroscope_sp_free) release;
        ~PluginBuffer() { release(buffer); }
    };

    int64_t specialId(const char *bertName, int64_t fallback) const
    {
        const int64_t id = tokenToId(bertName);
        if (id >= 0)
            return id;
        return fallback >= 0 && fallback < vocabSize() ? fallback : -1;
    }

    const EntroscopeSpModel *model() const { return m_model.get(); }

    void requireSpecial(int64_t id, const char *what) const
    {
        if (id < 0)
            throw Error(m_source + ": the SentencePiece model has no " + what + ", needed to add special tokens");
    }

    std::string m_source;
    const SentencePiecePlugin *m_api = nullptr; // lives until the process ends
    ModelPtr m_model{nullptr, nullptr};         // immutable after construction
    int64_t m_pieceSize = 0;
    int64_t m_modelUnkId = -1;
};

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::fromVocabFile(const std::string &path)
{
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw Error(path + ": is a folder, a vocab.txt file was expected");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open the vocabulary file (missing or unreadable)");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw Error(path + ": cannot read the vocabulary file");
    std::string data = buffer.str();

    std::string_view rest = data;
    if (rest.size() >= 3 && rest.compare(0, 3, "\xEF\xBB\xBF") == 0)
        rest.remove_prefix(3);

    // Python's text mode, which HF's load_vocab reads with, ends a line at \n, \r\n or a lone \r.
    std::vector<std::string> tokens;
    while (!rest.empty()) {
        const size_t eol = rest.find_first_of("\r\n");
        const std::string_view line = rest.substr(0, eol);
        if (!isValidUtf8(line))
            throw Error(path + ": line " + std::to_string(tokens.size() + 1) + " is not valid UTF-8");
        tokens.emplace_back(line);
        if (eol == std::string_view::npos)
            break;
        const size_t next = (rest[eol] == '\r' && eol + 1 < rest.size() && rest[eol + 1] == '\n') ? eol + 2 : eol + 1;
        rest.remove_prefix(next);
    }
    if (tokens.empty())
        throw Error(path + ": the vocabulary file is empty");
    return std::make_unique<WordPieceTokenizer>(std::move(tokens), path);
}

std::unique_ptr<Tokenizer> Tokenizer::fromSentencePieceFile(const std::string &path)
{
    return std::make_unique<SentencePieceTokenizer>(path);
}

std::unique_ptr<Tokenizer> Tokenizer::fromFolder(const std::string &dir)
{
    std::error_code ec;
    const fs::path folder(dir);
    if (!fs::exists(folder, ec))
        throw Error(dir + ": model folder does not exist");
    if (!fs::is_directory(folder, ec))
        throw Error(dir + ": not a folder (give the model folder that holds vocab.txt, tokenizer.json or a *.model file)");

    const fs::path vocab = folder / "vocab.txt";
    if (fs::exists(vocab, ec))
        return fromVocabFile(vocab.string());
    const fs::path tokenizerJson = folder / "tokenizer.json";
    if (fs::exists(tokenizerJson, ec))
        return fromTokenizerJson(tokenizerJson.string());

    std::vector<fs::path> models;
    for (const auto &entry : fs::directory_iterator(folder, ec)) {
        if (entry.path().extension() == ".model" && entry.is_regular_file(ec))
            models.push_back(entry.path());
    }
    if (ec)
        throw Error(dir + ": cannot list the folder (" + ec.message() + ")");
    if (models.empty())
        throw Error(dir + ": no tokenizer (none of vocab.txt, tokenizer.json or a SentencePiece *.model file)");
    if (models.size() > 1) {
        std::sort(models.begin(), models.end());
        std::string names;
        for (const auto &m : models)
            names += (names.empty() ? "" : ", ") + m.filename().string();
        throw Error(dir + ": several SentencePiece models (" + names + "); keep one, or add tokenizer.json or vocab.txt");
    }
    return fromSentencePieceFile(models.front().string());
}

void trainSentencePieceModel(const SentencePieceTrainOptions &options)
{
    std::error_code ec;
    if (!fs::is_regular_file(options.input, ec))
        throw Error(options.input + ": corpus file does not exist or is not a file");
    if (options.vocabSize < 8)
        throw Error("--vocab-size: " + std::to_string(options.vocabSize) + " is too small (at least 8)");
    if (options.vocabSize > (int64_t(1) << 20))
        throw Error("--vocab-size: " + std::to_string(options.vocabSize) + " is too large");
    const fs::path out(options.modelFile);
    if (out.extension() != ".model")
        throw Error(options.modelFile + ": the tokenizer file must end in .model");
    const fs::path folder = out.has_parent_path() ? out.parent_path() : fs::path(".");
    fs::create_directories(folder, ec);
    if (ec)
        throw Error(folder.string() + ": cannot create the folder (" + ec.message() + ")");
    const SentencePiecePlugin &api = sentencePiecePlugin(options.modelFile);

    // The trainer writes <prefix>.model and <prefix>.vocab; a temporary prefix beside the target makes
    // the final rename atomic and leaves no half-written model under the real name.
    // No pid or time in it: the trainer records the prefix in the model file, which would then differ
    // from run to run.
    const fs::path prefix = folder / (".tmp-" + out.stem().string() + "-training");
    const std::string prefixText = prefix.string();
    EntroscopeSpTrainSpec spec{};
    spec.input = options.input.c_str();
    spec.modelPrefix = prefixText.c_str();
    spec.vocabSize = static_cast<int32_t>(options.vocabSize);
    spec.padPiece = kPadName;
    spec.unkPiece = kUnkName;
    spec.bosPiece = kClsName;
    spec.eosPiece = kSepName;
    spec.userSymbols = kMaskName;
    spec.modelType = options.modelType.c_str();
    spec.maxSentenceLength = options.maxSentenceLength;
    char error[kPluginErrorSize];
    const int rc = api.train(&spec, error, sizeof error);
    const fs::path model = prefixText + ".model";
    const fs::path vocab = prefixText + ".vocab";
    fs::remove(vocab, ec);
    if (rc != 0) {
        fs::remove(model, ec);
        throw Error(options.input + ": SentencePiece training failed: " + oneLine(error));
    }
    fs::rename(model, out, ec);
    if (ec) {
        fs::remove(model, ec);
        throw Error(options.modelFile + ": cannot write the tokenizer (" + ec.message() + ")");
    }
}

} // namespace entroscope
