// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
//
// Hugging Face tokenizer.json with a BPE model: Tokenizer::fromTokenizerJson.
//
// The encode pipeline of the Rust `tokenizers` library (llama_family.md §5.2), in its order:
//  1. added tokens with "normalized": false are cut out of the raw text (leftmost-longest);
//  2. each remaining piece is normalized, then added tokens with "normalized": true are cut out of
//     the normalized piece (their contents normalized the same way);
//  3. the pre-tokenizer splits each remaining piece;
//  4. BPE runs on each pre-token;
//  5. with encode(text, true) the post-processor adds its special tokens.
// Texts are handled as UTF-16 (ICU's native form: its regex engine and normalizers work on it),
// pre-tokens go to BPE as UTF-8.
//
// Supported (anything else is refused with an Error naming the file and the component):
// - model "BPE": vocab, merges as "a b" strings or ["a", "b"] pairs ("#version" lines skipped),
//   ignore_merges, byte_fallback (<0xXX>, uppercase), unk_token, fuse_unk, dropout null (or 0),
//   continuing_subword_prefix / end_of_word_suffix null or "". Merging is the heap rule of
//   tokenizers' word.rs: lowest merge rank first, ties to the leftmost pair.
// - normalizers: NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Prepend, Replace (String or
//   Regex pattern), Sequence.
// - pre_tokenizers: ByteLevel (add_prefix_space, use_regex with GPT-2's pattern; trim_offsets only
//   changes offsets), Split (String or Regex pattern; Isolated, Removed, MergedWithPrevious,
//   MergedWithNext, Contiguous; invert), Metaspace (replacement, prepend_scheme always / first /
//   never, the legacy add_prefix_space, split), Digits (individual_digits), Whitespace,
//   WhitespaceSplit, Punctuation, CharDelimiterSplit, Sequence.
// - post_processors: TemplateProcessing (the "single" template), RobertaProcessing, BertProcessing
//   (cls + text + sep), ByteLevel (adds nothing), Sequence.
// - added_tokens: content, special, single_word, lstrip, rstrip, normalized (absent: !special).
// Ignored: decoder, truncation, padding (encode returns every id), "version".
//
// Regexes (Split, Replace) are Oniguruma patterns in the file; they run on ICU's engine with
// Oniguruma's meaning of \s (Unicode White_Space), \S, \h / \H (hex digits) and of ^ $ . (lines end
// at \n only). ICU's \w and \d are Unicode, as Oniguruma's; (?i:...) uses ICU's Unicode case folding.
// Metaspace's "first" scheme prepends only to a piece that starts at offset 0 of the original text
// (tokenizers' offsets_original rule; not to text after an added token).
//
// Limits (hostile files): file <= 1 GiB, ids <= 2^24 - 1, Sequence nesting <= 16, text <= 512 MiB,
// ICU's time limit on each regex search (catastrophic backtracking becomes an Error).
//
// Simplifications, documented where they happen: an added token's rstrip that swallows the start
// of the next match skips that match (tokenizers would emit overlapping spans); a pending fused
// <unk> is emitted before byte-fallback pieces that follow it (tokenizers emits it after them, an
// ordering slip that needs a vocabulary with only some <0xXX> pieces).

#include "text/tokenizer.h"

#include "errors.h"
#include "text/utf8.h"

#include <nlohmann/json.hpp>

#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace entroscope {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using icu::UnicodeString;

// Larger than any real tokenizer.json (the biggest on the hub are ~35 MB).
constexpr uintmax_t kMaxFileBytes = uintmax_t(1) << 30;
// Ids above this are refused: the id -> token table is dense. Real vocabularies stay below 2^18.
constexpr int64_t kMaxId = (int64_t(1) << 24) - 1;
// Nesting of Sequence components (normalizers, pre-tokenizers, post-processors).
constexpr int kMaxSequenceDepth = 16;
// ICU regex work limit for one find(), in ICU's time-limit units (5000 is about 1.5 s here): a hostile
// pattern with catastrophic backtracking fails with an Error instead of hanging.
constexpr int32_t kRegexTimeLimit = 5000;
// ICU strings hold at most 2^31 - 1 UTF-16 units; every step may grow the text a little.
constexpr size_t kMaxTextBytes = size_t(1) << 29;

constexpr UChar32 kSpace = 0x20;

// ---------------------------------------------------------------------------------------------
// Small helpers

UnicodeString fromUtf8(std::string_view s)
{
    // The JSON strings were validated by the parser; texts go through decodeText instead.
    return UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

// Strict decoding, one U+FFFD per invalid byte (like the other tokenizers).
UnicodeString decodeText(std::string_view text)
{
    UnicodeString out;
    out.getBuffer(static_cast<int32_t>(text.size()) + 1);
    out.releaseBuffer(0);
    auto p = reinterpret_cast<const unsigned char *>(text.data());
    const auto end = p + text.size();
    while (p < end) {
        if (*p < 0x80) {
            out.append(static_cast<UChar>(*p++));
            continue;
        }
        char32_t cp;
        utf8::decode(p, end, cp);
        out.append(static_cast<UChar32>(cp));
    }
    return out;
}

bool isWhitespace(UChar32 c)
{
    return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE);
}

// Rust's char::is_numeric: general categories Nd, Nl, No.
bool isNumeric(UChar32 c)
{
    return (U_GET_GC_MASK(c) & (U_GC_ND_MASK | U_GC_NL_MASK | U_GC_NO_MASK)) != 0;
}

// The \w of Rust's regex crate (used by tokenizers for single_word): Alphabetic, M, Nd, Pc,
// Join_Control.
bool isWordChar(UChar32 c)
{
    return u_hasBinaryProperty(c, UCHAR_ALPHABETIC)
           || (U_GET_GC_MASK(c) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0
           || u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL);
}

// tokenizers' is_punc: ASCII punctuation or any Unicode P*.
bool isPunctuation(UChar32 c)
{
    if (c < 0x80)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    return (U_GET_GC_MASK(c) & U_GC_P_MASK) != 0;
}

// GPT-2's byte -> char table (llama_family.md §5.6).
struct ByteTable
{
    UChar chars[256];
    ByteTable()
    {
        int n = 0;
        for (int b = 0; b < 256; ++b) {
            const bool kept = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars[b] = static_cast<UChar>(kept ? b : 0x100 + n++);
        }
    }
};
const ByteTable &byteTable()
{
    static const ByteTable table;
    return table;
}

// "<0xXX>" with two uppercase hex digits, as tokenizers' format!("<{:#04X}>", b) writes it.
std::string byteToken(int b)
{
    char text[8];
    std::snprintf(text, sizeof text, "<0x%02X>", b);
    return text;
}

// Quoted for an error message (Error escapes control characters; long names are cut).
std::string quote(std::string_view s)
{
    if (s.size() > 80) {
        size_t cut = 80;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
            --cut;
        return "\"" + std::string(s.substr(0, cut)) + "\u2026\"";
    }
    return "\"" + std::string(s) + "\"";
}

// ---------------------------------------------------------------------------------------------
// JSON access with one-line errors naming the file and the place.

class Reader
{
public:
    explicit Reader(std::string file)
        : m_file(std::move(file))
    {
    }

    [[noreturn]] void fail(const std::string &what) const { throw Error(m_file + ": " + what); }

    const std::string &file() const { return m_file; }

    // The member, or nullptr when absent or null.
    static const json *member(const json &obj, const char *key)
    {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return nullptr;
        return &*it;
    }

    void requireObject(const json &value, const std::string &where) const
    {
        if (!value.is_object())
            fail(where + " must be a JSON object");
    }

    bool boolean(const json &obj, const char *key, bool fallback, const std::string &where) const
    {
        const json *v = member(obj, key);
        if (!v)
            return fallback;
        if (!v->is_boolean())
            fail(where + ": \"" + key + "\" must be true or false");
        return v->get<bool>();
    }

    std::string string(const json &obj, const char *key, const std::string &where) const
    {
        const json *v = member(obj, key);
        if (!v || !v->is_string())
            fail(where + ": \"" + key + "\" must be a string");
        return v->get<std::string>();
    }

    std::string optionalString(const json &obj, const char *key, const std::string &fallback,
                               const std::string &where) const
    {
        const json *v = member(obj, key);
        if (!v)
            return fallback;
        if (!v->is_string())
            fail(where + ": \"" + key + "\" must be a string");
        return v->get<std::string>();
    }

    // A non-negative integer id no larger than kMaxId.
    int64_t id(const json &value, const std::string &where) const
    {
        if (value.is_number_unsigned()) {
            const uint64_t v = value.get<uint64_t>();
            if (v <= static_cast<uint64_t>(kMaxId))
                return static_cast<int64_t>(v);
        } else if (value.is_number_integer()) {
            const int64_t v = value.get<int64_t>();
            if (v >= 0 && v <= kMaxId)
                return v;
        }
        fail(where + " has id " + shortDump(value) + " (ids must be integers in 0.." + std::to_string(kMaxId) + ")");
    }

    // The component's "type" string.
    std::string type(const json &component, const std::string &kind) const
    {
        if (!component.is_object())
            fail(kind + " must be a JSON object or null");
        const json *t = member(component, "type");
        if (!t || !t->is_string())
            fail(kind + " has no \"type\"");
        return t->get<std::string>();
    }

    static std::string shortDump(const json &value)
    {
        std::string text = value.dump();
        if (text.size() > 40)
            text = text.substr(0, 40) + "...";
        return text;
    }

private:
    std::string m_file;
};

// ---------------------------------------------------------------------------------------------
// Regexes: Oniguruma patterns run on ICU.

// Rewrites the escapes whose meaning differs between Oniguruma and ICU; everything else is passed
// through (\p{..}, (?i:..), lookarounds, possessive and atomic forms mean the same in both).
std::string onigurumaToIcu(const std::string &pattern, const Reader &reader, const std::string &where)
{
    std::string out;
    out.reserve(pattern.size() + 16);
    int classDepth = 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            const char e = pattern[++i];
            if (e == 's')
                out += "\\p{White_Space}";
            else if (e == 'S')
                out += "\\P{White_Space}";
            else if (e == 'h')
                out += classDepth > 0 ? "0-9A-Fa-f" : "[0-9A-Fa-f]";
            else if (e == 'H') {
                if (classDepth > 0)
                    reader.fail(where + ": \\H inside a character class is not supported");
                out += "[^0-9A-Fa-f]";
            } else {
                out += '\\';
                out += e;
            }
            continue;
        }
        if (c == '[')
            ++classDepth;
        else if (c == ']' && classDepth > 0)
            --classDepth;
        out += c;
    }
    return out;
}

std::shared_ptr<const icu::RegexPattern> compileRegex(const std::string &pattern, const Reader &reader,
                                                      const std::string &where)
{
    const UnicodeString source = fromUtf8(onigurumaToIcu(pattern, reader, where));
    UErrorCode status = U_ZERO_ERROR;
    UParseError parseError{};
    std::shared_ptr<const icu::RegexPattern> compiled(
        icu::RegexPattern::compile(source, UREGEX_MULTILINE | UREGEX_UNIX_LINES, parseError, status));
    if (U_FAILURE(status) || !compiled)
        reader.fail(where + ": the regex " + quote(pattern) + " does not compile (" + u_errorName(status)
                    + " at offset " + std::to_string(parseError.offset) + ")");
    return compiled;
}

// One match finder per call (RegexMatcher has state; the compiled pattern is shared and immutable).
class RegexRunner
{
public:
    RegexRunner(const icu::RegexPattern &pattern, const std::string &file)
        : m_file(file)
    {
        UErrorCode status = U_ZERO_ERROR;
        m_matcher.reset(pattern.matcher(status));
        if (U_FAILURE(status) || !m_matcher)
            throw Error(m_file + ": cannot run a regex of the tokenizer (" + u_errorName(status) + ")");
        m_matcher->setTimeLimit(kRegexTimeLimit, status);
    }

    // Calls f(start, end) for each match in order, left to right, as find_iter does.
    template <typename F>
    void forEach(const UnicodeString &text, F &&f)
    {
        m_matcher->reset(text);
        UErrorCode status = U_ZERO_ERROR;
        while (m_matcher->find(status) && U_SUCCESS(status)) {
            const int32_t start = m_matcher->start(status);
            const int32_t end = m_matcher->end(status);
            f(start, end);
        }
        if (status == U_REGEX_TIME_OUT)
            throw Error(m_file + ": a regex of the tokenizer takes too long on the text (ICU's time limit)");
        if (U_FAILURE(status))
            throw Error(m_file + ": a regex of the tokenizer failed on the text (" + u_errorName(status) + ")");
    }

private:
    const std::string &m_file;
    std::unique_ptr<icu::RegexMatcher> m_matcher;
};

// tokenizers' Pattern: either a literal string or a regex.
struct Pattern
{
    UnicodeString literal;
    std::shared_ptr<const icu::RegexPattern> regex; // null for a literal

    static Pattern parse(const json &component, const char *key, const Reader &reader, const std::string &where)
    {
        const json *p = Reader::member(component, key);
        if (!p || !p->is_object() || p->size() != 1)
            reader.fail(where + ": \"" + key + "\" must be {\"String\": ...} or {\"Regex\": ...}");
        Pattern out;
        if (const json *s = Reader::member(*p, "String")) {
            if (!s->is_string())
                reader.fail(where + ": the String pattern must be a string");
            out.literal = fromUtf8(s->get<std::string>());
        } else if (const json *r = Reader::member(*p, "Regex")) {
            if (!r->is_string())
                reader.fail(where + ": the Regex pattern must be a string");
            out.regex = compileRegex(r->get<std::string>(), reader, where);
        } else {
            reader.fail(where + ": \"" + key + "\" must be {\"String\": ...} or {\"Regex\": ...}");
        }
        return out;
    }
};

struct Span
{
    int32_t start;
    int32_t end;
    bool match;
};

// tokenizers' find_matches: the text cut into matches and the parts between them, in order.
// Empty matches appear as empty spans (dropped later, as tokenizers drops empty pieces).
void findMatches(const Pattern &pattern, const UnicodeString &text, const std::string &file, std::vector<Span> &out)
{
    out.clear();
    const int32_t n = text.length();
    int32_t previous = 0;
    auto add = [&](int32_t start, int32_t end) {
        if (previous != start)
            out.push_back({previous, start, false});
        out.push_back({start, end, true});
        previous = end;
    };
    if (pattern.regex) {
        RegexRunner runner(*pattern.regex, file);
        runner.forEach(text, add);
    } else if (!pattern.literal.isEmpty()) {
        const int32_t len = pattern.literal.length();
        for (int32_t at = text.indexOf(pattern.literal); at >= 0; at = text.indexOf(pattern.literal, at + len))
            add(at, at + len);
    }
    if (previous != n)
        out.push_back({previous, n, false});
}

// The same for a character predicate: every matching code point is a match of its own.
template <typename Predicate>
void findCharMatches(Predicate isDelimiter, const UnicodeString &text, std::vector<Span> &out)
{
    out.clear();
    const int32_t n = text.length();
    int32_t previous = 0;
    for (int32_t i = 0; i < n;) {
        const UChar32 c = text.char32At(i);
        const int32_t next = i + U16_LENGTH(c);
        if (isDelimiter(c)) {
            if (previous != i)
                out.push_back({previous, i, false});
            out.push_back({i, next, true});
            previous = next;
        }
        i = next;
    }
    if (previous != n)
        out.push_back({previous, n, false});
}

// ---------------------------------------------------------------------------------------------
// Normalizers

class Normalizer
{
public:
    virtual ~Normalizer() = default;
    virtual void normalize(UnicodeString &text, const std::string &file) const = 0;
};

class UnicodeFormNormalizer final : public Normalizer
{
public:
    explicit UnicodeFormNormalizer(const icu::Normalizer2 *form)
        : m_form(form)
    {
    }
    void normalize(UnicodeString &text, const std::string &file) const override
    {
        UErrorCode status = U_ZERO_ERROR;
        if (m_form->isNormalized(text, status) && U_SUCCESS(status))
            return;
        status = U_ZERO_ERROR;
        UnicodeString out = m_form->normalize(text, status);
        if (U_FAILURE(status) || out.isBogus())
            throw Error(file + ": Unicode normalization failed (" + u_errorName(status) + ")");
        text = std::move(out);
    }

private:
    const icu::Normalizer2 *m_form;
};

// tokenizers lowercases one character at a time (char::to_lowercase, the full mapping without
// context: a capital sigma is always σ, İ becomes i + U+0307).
class LowercaseNormalizer final : public Normalizer
{
public:
    void normalize(UnicodeString &text, const std::string &) const override
    {
        UnicodeString out;
        const int32_t n = text.length();
        for (int32_t i = 0; i < n;) {
            const UChar32 c = text.char32At(i);
            i += U16_LENGTH(c);
            if (!u_hasBinaryProperty(c, UCHAR_CHANGES_WHEN_LOWERCASED)) {
                out.append(c);
                continue;
            }
            UChar src[2];
            int32_t srcLength = 0;
            U16_APPEND_UNSAFE(src, srcLength, c);
            UChar dst[8];
            UErrorCode status = U_ZERO_ERROR;
            const int32_t dstLength = u_strToLower(dst, 8, src, srcLength, "", &status);
            if (U_FAILURE(status))
                out.append(c);
            else
                out.append(dst, 0, dstLength);
        }
        text = std::move(out);
    }
};

// Removes combining marks (Mn, Mc, Me), as tokenizers' StripAccents.
class StripAccentsNormalizer final : public Normalizer
{
public:
    void normalize(UnicodeString &text, const std::string &) const override
    {
        UnicodeString out;
        const int32_t n = text.length();
        for (int32_t i = 0; i < n;) {
            const UChar32 c = text.char32At(i);
            i += U16_LENGTH(c);
            if ((U_GET_GC_MASK(c) & U_GC_M_MASK) == 0)
                out.append(c);
        }
        text = std::move(out);
    }
};

class StripNormalizer final : public Normalizer
{
public:
    StripNormalizer(bool left, bool right)
        : m_left(left)
        , m_right(right)
    {
    }
    void normalize(UnicodeString &text, const std::string &) const override
    {
        int32_t start = 0;
        int32_t end = text.length();
        while (m_left && start < end && isWhitespace(text.char32At(start)))
            start += U16_LENGTH(text.char32At(start));
        while (m_right && end > start) {
            const int32_t before = text.moveIndex32(end, -1);
            if (!isWhitespace(text.char32At(before)))
                break;
            end = before;
        }
        if (start != 0 || end != text.length())
            text = UnicodeString(text, start, end - start);
    }

private:
    bool m_left;
    bool m_right;
};

class PrependNormalizer final : public Normalizer
{
public:
    explicit PrependNormalizer(UnicodeString prefix)
        : m_prefix(std::move(prefix))
    {
    }
    void normalize(UnicodeString &text, const std::string &) const override
    {
        if (!text.isEmpty())
            text.insert(0, m_prefix);
    }

private:
    UnicodeString m_prefix;
};

class ReplaceNormalizer final : public Normalizer
{
public:
    ReplaceNormalizer(Pattern pattern, UnicodeString content)
        : m_pattern(std::move(pattern))
        , m_content(std::move(content))
    {
    }
    void normalize(UnicodeString &text, const std::string &file) const override
    {
        std::vector<Span> spans;
        findMatches(m_pattern, text, file, spans);
        if (spans.size() == 1 && !spans[0].match)
            return;
        UnicodeString out;
        for (const Span &s : spans) {
            if (s.match)
                out.append(m_content);
            else
                out.append(text, s.start, s.end - s.start);
        }
        text = std::move(out);
    }

private:
    Pattern m_pattern;
    UnicodeString m_content;
};

class SequenceNormalizer final : public Normalizer
{
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
        : m_parts(std::move(parts))
    {
    }
    void normalize(UnicodeString &text, const std::string &file) const override
    {
        for (const auto &part : m_parts)
            part->normalize(text, file);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> m_parts;
};

std::unique_ptr<Normalizer> makeNormalizer(const json &config, const Reader &reader, int depth)
{
    const std::string type = reader.type(config, "normalizer");
    const std::string where = "normalizer " + type;
    auto form = [&](const icu::Normalizer2 *(*get)(UErrorCode &)) -> std::unique_ptr<Normalizer> {
        UErrorCode status = U_ZERO_ERROR;
        const icu::Normalizer2 *n = get(status);
        if (U_FAILURE(status) || !n)
            reader.fail(where + ": ICU has no such normalizer (" + u_errorName(status) + ")");
        return std::make_unique<UnicodeFormNormalizer>(n);
    };
    if (type == "NFC")
        return form(&icu::Normalizer2::getNFCInstance);
    if (type == "NFD")
        return form(&icu::Normalizer2::getNFDInstance);
    if (type == "NFKC")
        return form(&icu::Normalizer2::getNFKCInstance);
    if (type == "NFKD")
        return form(&icu::Normalizer2::getNFKDInstance);
    if (type == "Lowercase")
        return std::make_unique<LowercaseNormalizer>();
    if (type == "StripAccents")
        return std::make_unique<StripAccentsNormalizer>();
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(reader.boolean(config, "strip_left", true, where),
                                                 reader.boolean(config, "strip_right", true, where));
    if (type == "Prepend")
        return std::make_unique<PrependNormalizer>(fromUtf8(reader.string(config, "prepend", where)));
    if (type == "Replace") {
        Pattern pattern = Pattern::parse(config, "pattern", reader, where);
        if (!pattern.regex && pattern.literal.isEmpty())
            reader.fail(where + ": an empty String pattern is not supported");
        return std::make_unique<ReplaceNormalizer>(std::move(pattern),
                                                   fromUtf8(reader.string(config, "content", where)));
    }
    if (type == "Sequence") {
        if (depth >= kMaxSequenceDepth)
            reader.fail("normalizer Sequence: nested more than " + std::to_string(kMaxSequenceDepth) + " deep");
        const json *list = Reader::member(config, "normalizers");
        if (!list || !list->is_array())
            reader.fail(where + ": \"normalizers\" must be a list");
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (const json &part : *list) {
            if (!part.is_null())
                parts.push_back(makeNormalizer(part, reader, depth + 1));
        }
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    reader.fail("normalizer " + quote(type) + " is not supported");
}

// ---------------------------------------------------------------------------------------------
// Pre-tokenizers

struct Piece
{
    UnicodeString text;
    bool atStart = false; // starts at offset 0 of the original text (Metaspace "first")
};

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// tokenizers' NormalizedString::split: turns the spans of one piece into pieces by the behaviour.
// Empty pieces are dropped, as PreTokenizedString::split does.
void splitBySpans(const Piece &piece, std::vector<Span> &spans, Behavior behavior, bool invert,
                  std::vector<Piece> &out)
{
    if (invert) {
        for (Span &s : spans)
            s.match = !s.match;
    }
    struct Cut
    {
        int32_t start;
        int32_t end;
        bool remove;
    };
    std::vector<Cut> cuts;
    cuts.reserve(spans.size());
    switch (behavior) {
    case Behavior::Isolated:
        for (const Span &s : spans)
            cuts.push_back({s.start, s.end, false});
        break;
    case Behavior::Removed:
        for (const Span &s : spans)
            cuts.push_back({s.start, s.end, s.match});
        break;
    case Behavior::Contiguous: {
        bool previousMatch = false;
        for (const Span &s : spans) {
            if (s.match == previousMatch && !cuts.empty())
                cuts.back().end = s.end;
            else
                cuts.push_back({s.start, s.end, false});
            previousMatch = s.match;
        }
        break;
    }
    case Behavior::MergedWithPrevious: {
        bool previousMatch = false;
        for (const Span &s : spans) {
            if (s.match && !previousMatch && !cuts.empty())
                cuts.back().end = s.end;
            else
                cuts.push_back({s.start, s.end, false});
            previousMatch = s.match;
        }
        break;
    }
    case Behavior::MergedWithNext: {
        bool previousMatch = false;
        for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
            if (it->match && !previousMatch && !cuts.empty())
                cuts.back().start = it->start;
            else
                cuts.push_back({it->start, it->end, false});
            previousMatch = it->match;
        }
        std::reverse(cuts.begin(), cuts.end());
        break;
    }
    }
    for (const Cut &c : cuts) {
        if (c.remove || c.start == c.end)
            continue;
        Piece p;
        p.text = UnicodeString(piece.text, c.start, c.end - c.start);
        p.atStart = piece.atStart && c.start == 0;
        out.push_back(std::move(p));
    }
}

class PreTokenizer
{
public:
    virtual ~PreTokenizer() = default;
    // Replaces the pieces by their splits.
    virtual void apply(std::vector<Piece> &pieces, const std::string &file) const = 0;
};

Behavior parseBehavior(const json &config, const Reader &reader, const std::string &where, Behavior fallback)
{
    const json *b = Reader::member(config, "behavior");
    if (!b)
        return fallback;
    if (!b->is_string())
        reader.fail(where + ": \"behavior\" must be a string");
    const std::string name = b->get<std::string>();
    // tokenizers writes the variant names; its Python API spells them in lower case.
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "removed")
        return Behavior::Removed;
    if (lower == "isolated")
        return Behavior::Isolated;
    if (lower == "mergedwithprevious" || lower == "merged_with_previous")
        return Behavior::MergedWithPrevious;
    if (lower == "mergedwithnext" || lower == "merged_with_next")
        return Behavior::MergedWithNext;
    if (lower == "contiguous")
        return Behavior::Contiguous;
    reader.fail(where + ": behavior " + quote(name) + " is not supported");
}

class SplitPreTokenizer final : public PreTokenizer
{
public:
    SplitPreTokenizer(Pattern pattern, Behavior behavior, bool invert)
        : m_pattern(std::move(pattern))
        , m_behavior(behavior)
        , m_invert(invert)
    {
    }
    void apply(std::vector<Piece> &pieces, const std::string &file) const override
    {
        std::vector<Piece> out;
        out.reserve(pieces.size() * 2);
        std::vector<Span> spans;
        std::unique_ptr<RegexRunner> runner;
        if (m_pattern.regex)
            runner = std::make_unique<RegexRunner>(*m_pattern.regex, file);
        for (const Piece &piece : pieces) {
            if (runner) {
                spans.clear();
                int32_t previous = 0;
                runner->forEach(piece.text, [&](int32_t start, int32_t end) {
                    if (previous != start)
                        spans.push_back({previous, start, false});
                    spans.push_back({start, end, true});
                    previous = end;
                });
                if (previous != piece.text.length())
                    spans.push_back({previous, piece.text.length(), false});
            } else {
                findMatches(m_pattern, piece.text, file, spans);
            }
            splitBySpans(piece, spans, m_behavior, m_invert, out);
        }
        pieces = std::move(out);
    }

private:
    Pattern m_pattern;
    Behavior m_behavior;
    bool m_invert;
};

template <typename Predicate>
class CharSplitPreTokenizer final : public PreTokenizer
{
public:
    CharSplitPreTokenizer(Predicate predicate, Behavior behavior)
        : m_predicate(predicate)
        , m_behavior(behavior)
    {
    }
    void apply(std::vector<Piece> &pieces, const std::string &) const override
    {
        std::vector<Piece> out;
        out.reserve(pieces.size() * 2);
        std::vector<Span> spans;
        for (const Piece &piece : pieces) {
            findCharMatches(m_predicate, piece.text, spans);
            splitBySpans(piece, spans, m_behavior, false, out);
        }
        pieces = std::move(out);
    }

private:
    Predicate m_predicate;
    Behavior m_behavior;
};

template <typename Predicate>
std::unique_ptr<PreTokenizer> charSplit(Predicate predicate, Behavior behavior)
{
    return std::make_unique<CharSplitPreTokenizer<Predicate>>(predicate, behavior);
}

// GPT-2's pattern, as tokenizers' ByteLevel compiles it (Oniguruma: \s is White_Space).
const char *const kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

class ByteLevelPreTokenizer final : public PreTokenizer
{
public:
    ByteLevelPreTokenizer(bool addPrefixSpace, std::shared_ptr<const icu::RegexPattern> regex)
        : m_addPrefixSpace(addPrefixSpace)
        , m_regex(std::move(regex))
    {
    }
    void apply(std::vector<Piece> &pieces, const std::string &file) const override
    {
        std::vector<Piece> split;
        split.reserve(pieces.size() * 2);
        std::unique_ptr<RegexRunner> runner;
        if (m_regex)
            runner = std::make_unique<RegexRunner>(*m_regex, file);
        std::vector<Span> spans;
        for (Piece &piece : pieces) {
            if (m_addPrefixSpace && (piece.text.isEmpty() || piece.text.charAt(0) != kSpace))
                piece.text.insert(0, static_cast<UChar>(kSpace));
            if (!runner) {
                split.push_back(std::move(piece));
                continue;
            }
            spans.clear();
            int32_t previous = 0;
            runner->forEach(piece.text, [&](int32_t start, int32_t end) {
                if (previous != start)
                    spans.push_back({previous, start, false});
                spans.push_back({start, end, true});
                previous = end;
            });
            if (previous != piece.text.length())
                spans.push_back({previous, piece.text.length(), false});
            splitBySpans(piece, spans, Behavior::Isolated, false, split);
        }
        // Every UTF-8 byte becomes its char of the byte table.
        const ByteTable &table = byteTable();
        std::string bytes;
        for (Piece &piece : split) {
            bytes.clear();
            piece.text.toUTF8String(bytes);
            UnicodeString mapped;
            UChar *buffer = mapped.getBuffer(static_cast<int32_t>(bytes.size()));
            if (!buffer)
                throw Error(file + ": the text is too long");
            for (size_t k = 0; k < bytes.size(); ++k)
                buffer[k] = table.chars[static_cast<unsigned char>(bytes[k])];
            mapped.releaseBuffer(static_cast<int32_t>(bytes.size()));
            piece.text = std::move(mapped);
        }
        pieces = std::move(split);
    }

private:
    bool m_addPrefixSpace;
    std::shared_ptr<const icu::RegexPattern> m_regex; // null without use_regex
};

enum class PrependScheme { Always, First, Never };

class MetaspacePreTokenizer final : public PreTokenizer
{
public:
    MetaspacePreTokenizer(UChar32 replacement, PrependScheme scheme, bool split)
        : m_replacement(replacement)
        , m_scheme(scheme)
        , m_split(split)
    {
    }
    void apply(std::vector<Piece> &pieces, const std::string &) const override
    {
        const UnicodeString replacement(m_replacement);
        const UnicodeString space(kSpace);
        std::vector<Piece> out;
        out.reserve(pieces.size());
        std::vector<Span> spans;
        for (Piece &piece : pieces) {
            piece.text.findAndReplace(space, replacement);
            const bool startsWithReplacement = !piece.text.isEmpty() && piece.text.char32At(0) == m_replacement;
            if (!startsWithReplacement
                && (m_scheme == PrependScheme::Always || (m_scheme == PrependScheme::First && piece.atStart)))
                piece.text.insert(0, replacement);
            if (!m_split) {
                out.push_back(std::move(piece));
                continue;
            }
            const UChar32 r = m_replacement;
            findCharMatches([r](UChar32 c) { return c == r; }, piece.text, spans);
            splitBySpans(piece, spans, Behavior::MergedWithNext, false, out);
        }
        pieces = std::move(out);
    }

private:
    UChar32 m_replacement;
    PrependScheme m_scheme;
    bool m_split;
};

class SequencePreTokenizer final : public PreTokenizer
{
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
        : m_parts(std::move(parts))
    {
    }
    void apply(std::vector<Piece> &pieces, const std::string &file) const override
    {
        for (const auto &part : m_parts)
            part->apply(pieces, file);
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> m_parts;
};

UChar32 singleChar(const std::string &text, const Reader &reader, const std::string &where, const char *key)
{
    const UnicodeString s = fromUtf8(text);
    if (s.isEmpty() || s.countChar32() != 1)
        reader.fail(where + ": \"" + key + "\" must be one character");
    return s.char32At(0);
}

std::unique_ptr<PreTokenizer> makePreTokenizer(const json &config, const Reader &reader, int depth)
{
    const std::string type = reader.type(config, "pre_tokenizer");
    const std::string where = "pre_tokenizer " + type;
    if (type == "ByteLevel") {
        std::shared_ptr<const icu::RegexPattern> regex;
        if (reader.boolean(config, "use_regex", true, where))
            regex = compileRegex(kGpt2Pattern, reader, where);
        return std::make_unique<ByteLevelPreTokenizer>(reader.boolean(config, "add_prefix_space", true, where),
                                                       std::move(regex));
    }
    if (type == "Split") {
        Pattern pattern = Pattern::parse(config, "pattern", reader, where);
        const json *behavior = Reader::member(config, "behavior");
        if (!behavior)
            reader.fail(where + ": \"behavior\" is missing");
        return std::make_unique<SplitPreTokenizer>(std::move(pattern),
                                                   parseBehavior(config, reader, where, Behavior::Isolated),
                                                   reader.boolean(config, "invert", false, where));
    }
    if (type == "Metaspace") {
        const UChar32 replacement = singleChar(reader.string(config, "replacement", where), reader, where, "replacement");
        const json *scheme = Reader::member(config, "prepend_scheme");
        PrependScheme prepend = PrependScheme::Always;
        if (scheme) {
            const std::string name = scheme->is_string() ? scheme->get<std::string>() : std::string();
            if (name == "always")
                prepend = PrependScheme::Always;
            else if (name == "first")
                prepend = PrependScheme::First;
            else if (name == "never")
                prepend = PrependScheme::Never;
            else
                reader.fail(where + ": prepend_scheme " + Reader::shortDump(*scheme) + " is not supported");
        }
        // The legacy key: false means "never" (and contradicts any other explicit scheme).
        if (Reader::member(config, "add_prefix_space") && !reader.boolean(config, "add_prefix_space", true, where)) {
            if (scheme && prepend != PrependScheme::Never)
                reader.fail(where + ": add_prefix_space false contradicts prepend_scheme");
            prepend = PrependScheme::Never;
        }
        return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, reader.boolean(config, "split", true, where));
    }
    if (type == "Digits") {
        const bool individual = reader.boolean(config, "individual_digits", false, where);
        return charSplit([](UChar32 c) { return isNumeric(c); },
                         individual ? Behavior::Isolated : Behavior::Contiguous);
    }
    if (type == "Whitespace") {
        Pattern pattern;
        pattern.regex = compileRegex("\\w+|[^\\w\\s]+", reader, where);
        return std::make_unique<SplitPreTokenizer>(std::move(pattern), Behavior::Removed, true);
    }
    if (type == "WhitespaceSplit")
        return charSplit([](UChar32 c) { return isWhitespace(c); }, Behavior::Removed);
    if (type == "Punctuation")
        return charSplit([](UChar32 c) { return isPunctuation(c); },
                         parseBehavior(config, reader, where, Behavior::Isolated));
    if (type == "CharDelimiterSplit") {
        const UChar32 delimiter = singleChar(reader.string(config, "delimiter", where), reader, where, "delimiter");
        return charSplit([delimiter](UChar32 c) { return c == delimiter; }, Behavior::Removed);
    }
    if (type == "Sequence") {
        if (depth >= kMaxSequenceDepth)
            reader.fail("pre_tokenizer Sequence: nested more than " + std::to_string(kMaxSequenceDepth) + " deep");
        const json *list = Reader::member(config, "pretokenizers");
        if (!list || !list->is_array())
            reader.fail(where + ": \"pretokenizers\" must be a list");
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (const json &part : *list) {
            if (!part.is_null())
                parts.push_back(makePreTokenizer(part, reader, depth + 1));
        }
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    reader.fail("pre_tokenizer " + quote(type) + " is not supported");
}

// ---------------------------------------------------------------------------------------------
// Added tokens: a trie over UTF-16 code units for leftmost-longest matching.

struct AddedToken
{
    std::string content;
    int64_t id = -1;
    bool special = false;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = true;
};

class AddedTrie
{
public:
    AddedTrie() { m_nodes.emplace_back(); }

    void insert(const UnicodeString &key, int32_t token)
    {
        int32_t node = 0;
        for (int32_t i = 0; i < key.length(); ++i) {
            const UChar c = key.charAt(i);
            auto &children = m_nodes[static_cast<size_t>(node)].children;
            auto it = std::lower_bound(children.begin(), children.end(), c,
                                       [](const std::pair<UChar, int32_t> &e, UChar v) { return e.first < v; });
            if (it != children.end() && it->first == c) {
                node = it->second;
            } else {
                const auto next = static_cast<int32_t>(m_nodes.size());
                children.insert(it, {c, next});
                m_nodes.emplace_back();
                node = next;
            }
        }
        // The first token with this (normalized) content wins.
        if (m_nodes[static_cast<size_t>(node)].token < 0)
            m_nodes[static_cast<size_t>(node)].token = token;
        m_empty = false;
    }

    bool empty() const { return m_empty; }

    // The longest key starting at `at`: returns the token (or -1) and sets end.
    int32_t longestAt(const UnicodeString &text, int32_t at, int32_t &end) const
    {
        int32_t node = 0;
        int32_t best = -1;
        const int32_t n = text.length();
        for (int32_t i = at; i < n; ++i) {
            const auto &children = m_nodes[static_cast<size_t>(node)].children;
            const UChar c = text.charAt(i);
            auto it = std::lower_bound(children.begin(), children.end(), c,
                                       [](const std::pair<UChar, int32_t> &e, UChar v) { return e.first < v; });
            if (it == children.end() || it->first != c)
                break;
            node = it->second;
            if (m_nodes[static_cast<size_t>(node)].token >= 0) {
                best = m_nodes[static_cast<size_t>(node)].token;
                end = i + 1;
            }
        }
        return best;
    }

private:
    struct Node
    {
        std::vector<std::pair<UChar, int32_t>> children; // sorted by code unit
        int32_t token = -1;                              // index into the added tokens
    };
    std::vector<Node> m_nodes;
    bool m_empty = true;
};

// ---------------------------------------------------------------------------------------------
// Post-processing: templates applied in order (a Sequence may hold several).

struct TemplatePart
{
    bool isSequence = false;     // $A
    std::vector<int64_t> ids;    // a special token's ids
};
using Template = std::vector<TemplatePart>;

// ---------------------------------------------------------------------------------------------
// The tokenizer

class HfBpeTokenizer final : public Tokenizer
{
public:
    explicit HfBpeTokenizer(const std::string &path)
        : m_source(path)
    {
        load();
    }

    std::vector<int64_t> encode(const std::string &utf8, bool addSpecial) const override
    {
        std::vector<int64_t> ids = encodeText(utf8);
        if (addSpecial) {
            for (const Template &t : m_templates) {
                std::vector<int64_t> next;
                next.reserve(ids.size() + 4);
                for (const TemplatePart &part : t) {
                    if (part.isSequence)
                        next.insert(next.end(), ids.begin(), ids.end());
                    else
                        next.insert(next.end(), part.ids.begin(), part.ids.end());
                }
                ids = std::move(next);
            }
        }
        return ids;
    }

    std::vector<std::string> tokenize(const std::string &utf8) const override
    {
        const std::vector<int64_t> ids = encodeText(utf8);
        std::vector<std::string> pieces;
        pieces.reserve(ids.size());
        for (int64_t id : ids)
            pieces.push_back(idToToken(id));
        return pieces;
    }

    std::string idToToken(int64_t id) const override
    {
        if (id < 0 || id >= vocabSize())
            throw Error(m_source + ": token id " + std::to_string(id) + " is outside the vocabulary (0.."
                        + std::to_string(vocabSize() - 1) + ")");
        const int32_t index = m_idToIndex[static_cast<size_t>(id)];
        if (index < 0)
            throw Error(m_source + ": token id " + std::to_string(id) + " has no token (the file skips it)");
        return m_strings[static_cast<size_t>(index)];
    }

    int64_t tokenToId(const std::string &token) const override
    {
        const auto it = m_tokenToId.find(token);
        return it == m_tokenToId.end() ? -1 : it->second;
    }

    int64_t vocabSize() const override { return static_cast<int64_t>(m_idToIndex.size()); }

    std::string kind() const override { return "bpe"; }

private:
    struct Merge
    {
        int32_t rank;
        int32_t newId;
    };

    struct Symbol
    {
        int32_t id;
        int32_t prev;
        int32_t next;
        int32_t len; // 0 once merged into its left neighbour
    };

    struct QueueEntry
    {
        int32_t rank;
        int32_t pos;
        int32_t newId;
    };

    // Per-call buffers.
    struct Scratch
    {
        std::string utf8;
        std::vector<Symbol> symbols;
        std::vector<QueueEntry> queue;
        std::vector<Piece> pieces;
    };

    static uint64_t pairKey(int32_t a, int32_t b)
    {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }

    // ---- loading

    void load()
    {
        const Reader reader(m_source);
        const json doc = readJson(reader);
        if (!doc.is_object())
            reader.fail("not a tokenizer.json (the top level must be a JSON object)");
        const json *model = Reader::member(doc, "model");
        if (!model)
            reader.fail("no \"model\"");
        loadModel(*model, reader);
        loadAddedTokens(doc, reader);
        finishVocabulary(reader);

        if (const json *n = Reader::member(doc, "normalizer"))
            m_normalizer = makeNormalizer(*n, reader, 0);
        if (const json *p = Reader::member(doc, "pre_tokenizer"))
            m_preTokenizer = makePreTokenizer(*p, reader, 0);
        if (const json *p = Reader::member(doc, "post_processor"))
            loadPostProcessor(*p, reader, 0);
        buildTries(reader);
        findSpecialIds();
    }

    json readJson(const Reader &reader) const
    {
        std::error_code ec;
        if (!fs::exists(m_source, ec))
            reader.fail("tokenizer file does not exist");
        if (fs::is_directory(m_source, ec))
            reader.fail("is a folder, a tokenizer.json file was expected");
        const uintmax_t size = fs::file_size(m_source, ec);
        if (ec)
            reader.fail("cannot read the tokenizer file (" + ec.message() + ")");
        if (size > kMaxFileBytes)
            reader.fail("the tokenizer file is larger than 1 GiB");
        std::ifstream in(m_source, std::ios::binary);
        if (!in)
            reader.fail("cannot open the tokenizer file (missing or unreadable)");
        std::string data(static_cast<size_t>(size), '\0');
        in.read(data.data(), static_cast<std::streamsize>(size));
        if (in.gcount() != static_cast<std::streamsize>(size))
            reader.fail("cannot read the tokenizer file");
        if (data.empty())
            reader.fail("the tokenizer file is empty");
        try {
            return json::parse(data);
        } catch (const json::exception &e) {
            // nlohmann's messages read "[json.exception.parse_error.101] parse error at line 1, ...".
            std::string what = e.what();
            const size_t bracket = what.find("] ");
            if (what.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos)
                what = what.substr(bracket + 2);
            reader.fail("invalid JSON: " + what);
        }
    }

    void loadModel(const json &model, const Reader &reader)
    {
        if (!model.is_object())
            reader.fail("\"model\" must be a JSON object");
        const json *type = Reader::member(model, "type");
        if (type && !type->is_string())
            reader.fail("model \"type\" must be a string");
        const std::string typeName = type ? type->get<std::string>() : (model.contains("merges") ? "BPE" : "");
        if (typeName.empty())
            reader.fail("model has no \"type\"");
        if (typeName != "BPE")
            reader.fail("model " + quote(typeName) + " is not supported (only BPE)");
        const std::string where = "model BPE";

        if (const json *dropout = Reader::member(model, "dropout")) {
            if (!dropout->is_number() || dropout->get<double>() != 0.0)
                reader.fail(where + ": dropout " + Reader::shortDump(*dropout) + " is not supported (only null)");
        }
        for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (!reader.optionalString(model, key, "", where).empty())
                reader.fail(where + ": \"" + key + "\" " + Reader::shortDump(model[key])
                            + " is not supported (only null or \"\")");
        }
        m_byteFallback = reader.boolean(model, "byte_fallback", false, where);
        m_fuseUnk = reader.boolean(model, "fuse_unk", false, where);
        m_ignoreMerges = reader.boolean(model, "ignore_merges", false, where);
        m_unkToken = reader.optionalString(model, "unk_token", "", where);
        m_hasUnkToken = Reader::member(model, "unk_token") != nullptr;

        const json *vocab = Reader::member(model, "vocab");
        if (!vocab || !vocab->is_object())
            reader.fail(where + ": \"vocab\" must be a JSON object (token -> id)");
        m_strings.reserve(vocab->size() + 1024);
        m_vocabIds.reserve(vocab->size());
        for (auto it = vocab->begin(); it != vocab->end(); ++it) {
            const int64_t id = reader.id(it.value(), "model vocab: " + quote(it.key()));
            m_strings.push_back(it.key());
            m_vocabIds.push_back(id);
            m_maxId = std::max(m_maxId, id);
        }
        m_vocabCount = m_strings.size();
        if (m_vocabCount == 0)
            reader.fail(where + ": the vocabulary is empty");

        const json *merges = Reader::member(model, "merges");
        if (merges && !merges->is_array())
            reader.fail(where + ": \"merges\" must be a list");
        if (merges)
            m_rawMerges = merges; // resolved once the vocabulary maps exist (finishVocabulary)
    }

    void loadAddedTokens(const json &doc, const Reader &reader)
    {
        const json *list = Reader::member(doc, "added_tokens");
        if (!list)
            return;
        if (!list->is_array())
            reader.fail("\"added_tokens\" must be a list");
        size_t index = 0;
        for (const json &entry : *list) {
            const std::string where = "added_tokens[" + std::to_string(index++) + "]";
            reader.requireObject(entry, where);
            AddedToken token;
            token.content = reader.string(entry, "content", where);
            if (token.content.empty())
                reader.fail(where + ": \"content\" is empty");
            const json *id = Reader::member(entry, "id");
            if (!id)
                reader.fail(where + ": \"id\" is missing");
            token.id = reader.id(*id, where + " " + quote(token.content));
            token.special = reader.boolean(entry, "special", false, where);
            token.singleWord = reader.boolean(entry, "single_word", false, where);
            token.lstrip = reader.boolean(entry, "lstrip", false, where);
            token.rstrip = reader.boolean(entry, "rstrip", false, where);
            token.normalized = reader.boolean(entry, "normalized", !token.special, where);
            m_maxId = std::max(m_maxId, token.id);
            m_added.push_back(std::move(token));
        }
    }

    void finishVocabulary(const Reader &reader)
    {
        // The id table: vocabulary entries, then added tokens (which may reuse a vocabulary id).
        m_idToIndex.assign(static_cast<size_t>(m_maxId + 1), -1);
        for (size_t k = 0; k < m_vocabCount; ++k) {
            const auto id = static_cast<size_t>(m_vocabIds[k]);
            if (m_idToIndex[id] >= 0)
                reader.fail("model vocab: id " + std::to_string(id) + " is used by both "
                            + quote(m_strings[static_cast<size_t>(m_idToIndex[id])]) + " and " + quote(m_strings[k]));
            m_idToIndex[id] = static_cast<int32_t>(k);
        }
        std::vector<int32_t> addedAt(m_idToIndex.size(), -1);
        for (size_t k = 0; k < m_added.size(); ++k) {
            const AddedToken &token = m_added[k];
            const auto id = static_cast<size_t>(token.id);
            if (addedAt[id] >= 0) {
                const AddedToken &other = m_added[static_cast<size_t>(addedAt[id])];
                if (other.content != token.content)
                    reader.fail("added_tokens: id " + std::to_string(id) + " is used by both " + quote(other.content)
                                + " and " + quote(token.content));
                continue;
            }
            addedAt[id] = static_cast<int32_t>(k);
            const int32_t vocabIndex = m_idToIndex[id];
            if (vocabIndex >= 0 && m_strings[static_cast<size_t>(vocabIndex)] == token.content)
                continue; // the usual case: the added token is also in the vocabulary
            m_strings.push_back(token.content);
            m_idToIndex[id] = static_cast<int32_t>(m_strings.size() - 1);
        }
        // m_strings is final: the maps below hold views into it.
        for (size_t k = 0; k < m_vocabCount; ++k) {
            m_vocab.emplace(m_strings[k], static_cast<int32_t>(m_vocabIds[k]));
            m_tokenToId.emplace(m_strings[k], m_vocabIds[k]);
        }
        for (const AddedToken &token : m_added)
            m_tokenToId[token.content] = token.id; // tokenizers looks added tokens up first
        for (size_t k = 0; k < m_added.size(); ++k) {
            // Keep one entry per content: the first with it (tokenizers keys added tokens by content).
            const std::string &content = m_added[k].content;
            if (m_addedByContent.find(content) == m_addedByContent.end())
                m_addedByContent.emplace(content, static_cast<int32_t>(k));
        }

        // Byte fallback pieces and the unknown token.
        for (int b = 0; b < 256; ++b) {
            const auto it = m_vocab.find(byteToken(b));
            m_byteIds[b] = it == m_vocab.end() ? -1 : it->second;
        }
        if (m_hasUnkToken) {
            const auto it = m_vocab.find(m_unkToken);
            if (it != m_vocab.end())
                m_modelUnkId = it->second;
        }
        resolveMerges(reader);
    }

    void resolveMerges(const Reader &reader)
    {
        if (!m_rawMerges)
            return;
        const json &merges = *m_rawMerges;
        m_merges.reserve(merges.size());
        int32_t rank = 0;
        size_t index = 0;
        for (const json &entry : merges) {
            const std::string where = "model merges[" + std::to_string(index++) + "]";
            std::string a;
            std::string b;
            if (entry.is_string()) {
                const std::string &line = entry.get_ref<const std::string &>();
                if (line.rfind("#version", 0) == 0)
                    continue;
                const size_t space = line.find(' ');
                if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
                    reader.fail(where + ": " + quote(line) + " is not two tokens separated by one space");
                a = line.substr(0, space);
                b = line.substr(space + 1);
            } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
                a = entry[0].get<std::string>();
                b = entry[1].get<std::string>();
            } else {
                reader.fail(where + ": " + Reader::shortDump(entry) + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
            const auto ia = m_vocab.find(a);
            if (ia == m_vocab.end())
                reader.fail(where + ": " + quote(a) + " is not in the vocabulary");
            const auto ib = m_vocab.find(b);
            if (ib == m_vocab.end())
                reader.fail(where + ": " + quote(b) + " is not in the vocabulary");
            const auto ic = m_vocab.find(a + b);
            if (ic == m_vocab.end())
                reader.fail(where + ": the merged token " + quote(a + b) + " is not in the vocabulary");
            if (rank == std::numeric_limits<int32_t>::max())
                reader.fail(where + ": too many merges");
            // A repeated pair takes its later rank, as in tokenizers' HashMap.
            m_merges[pairKey(ia->second, ib->second)] = Merge{rank++, ic->second};
        }
        m_rawMerges = nullptr;
    }

    void loadPostProcessor(const json &config, const Reader &reader, int depth)
    {
        const std::string type = reader.type(config, "post_processor");
        const std::string where = "post_processor " + type;
        if (type == "ByteLevel")
            return;
        if (type == "Sequence") {
            if (depth >= kMaxSequenceDepth)
                reader.fail("post_processor Sequence: nested more than " + std::to_string(kMaxSequenceDepth) + " deep");
            const json *list = Reader::member(config, "processors");
            if (!list || !list->is_array())
                reader.fail(where + ": \"processors\" must be a list");
            for (const json &part : *list) {
                if (!part.is_null())
                    loadPostProcessor(part, reader, depth + 1);
            }
            return;
        }
        if (type == "RobertaProcessing" || type == "BertProcessing") {
            auto special = [&](const char *key) {
                const json *pair = Reader::member(config, key);
                if (!pair || !pair->is_array() || pair->size() != 2 || !(*pair)[0].is_string())
                    reader.fail(where + ": \"" + key + "\" must be [token, id]");
                TemplatePart part;
                part.ids.push_back(checkedSpecialId((*pair)[1], where, reader));
                return part;
            };
            Template t;
            t.push_back(special("cls"));
            t.push_back(TemplatePart{true, {}});
            t.push_back(special("sep"));
            m_templates.push_back(std::move(t));
            return;
        }
        if (type == "TemplateProcessing") {
            const json *single = Reader::member(config, "single");
            if (!single || !single->is_array())
                reader.fail(where + ": \"single\" must be a list of pieces");
            const json *specials = Reader::member(config, "special_tokens");
            if (specials && !specials->is_object())
                reader.fail(where + ": \"special_tokens\" must be a JSON object");
            Template t;
            for (const json &piece : *single) {
                if (!piece.is_object() || piece.size() != 1)
                    reader.fail(where + ": a piece of \"single\" must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
                if (const json *seq = Reader::member(piece, "Sequence")) {
                    reader.requireObject(*seq, where + ": Sequence");
                    const std::string id = reader.string(*seq, "id", where + ": Sequence");
                    if (id != "A")
                        reader.fail(where + ": the single template uses sequence " + quote(id) + " (only A exists)");
                    t.push_back(TemplatePart{true, {}});
                } else if (const json *tok = Reader::member(piece, "SpecialToken")) {
                    reader.requireObject(*tok, where + ": SpecialToken");
                    const std::string name = reader.string(*tok, "id", where + ": SpecialToken");
                    const json *entry = specials ? Reader::member(*specials, name.c_str()) : nullptr;
                    if (!entry || !entry->is_object())
                        reader.fail(where + ": special token " + quote(name) + " is not in \"special_tokens\"");
                    const json *ids = Reader::member(*entry, "ids");
                    if (!ids || !ids->is_array())
                        reader.fail(where + ": special token " + quote(name) + " has no \"ids\" list");
                    TemplatePart part;
                    for (const json &id : *ids)
                        part.ids.push_back(checkedSpecialId(id, where + ": special token " + quote(name), reader));
                    t.push_back(std::move(part));
                } else {
                    reader.fail(where + ": a piece of \"single\" must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
                }
            }
            m_templates.push_back(std::move(t));
            return;
        }
        reader.fail("post_processor " + quote(type) + " is not supported");
    }

    int64_t checkedSpecialId(const json &value, const std::string &where, const Reader &reader) const
    {
        const int64_t id = reader.id(value, where);
        if (id >= vocabSize() || m_idToIndex[static_cast<size_t>(id)] < 0)
            reader.fail(where + ": id " + std::to_string(id) + " is not a token of the file");
        return id;
    }

    void buildTries(const Reader &reader)
    {
        for (size_t k = 0; k < m_added.size(); ++k) {
            const AddedToken &token = m_added[k];
            if (m_addedByContent.at(token.content) != static_cast<int32_t>(k))
                continue;
            UnicodeString key = fromUtf8(token.content);
            if (token.normalized) {
                if (m_normalizer)
                    m_normalizer->normalize(key, reader.file());
                if (!key.isEmpty())
                    m_normalizedTrie.insert(key, static_cast<int32_t>(k));
            } else {
                m_rawTrie.insert(key, static_cast<int32_t>(k));
            }
        }
    }

    void findSpecialIds()
    {
        auto known = [&](std::initializer_list<const char *> names) -> int64_t {
            for (const char *name : names) {
                const int64_t id = tokenToId(name);
                if (id >= 0)
                    return id;
            }
            return -1;
        };
        m_unkId = m_modelUnkId >= 0 ? m_modelUnkId : known({"<unk>"});
        // BOS / EOS: what the (first) template puts around the text.
        int64_t bos = -1;
        int64_t eos = -1;
        if (!m_templates.empty()) {
            const Template &t = m_templates.front();
            bool seenSequence = false;
            for (const TemplatePart &part : t) {
                if (part.isSequence)
                    seenSequence = true;
                else if (!part.ids.empty() && !seenSequence && bos < 0)
                    bos = part.ids.front();
                else if (!part.ids.empty() && seenSequence && eos < 0)
                    eos = part.ids.front();
            }
        }
        m_clsId = bos >= 0 ? bos : known({"<s>", "<|begin_of_text|>", "<|endoftext|>"});
        m_sepId = eos >= 0 ? eos : known({"</s>", "<|end_of_text|>", "<|endoftext|>"});
        m_padId = known({"<pad>"});
        m_maskId = known({"<mask>"});
    }

    // ---- encoding

    std::vector<int64_t> encodeText(std::string_view text) const
    {
        if (text.size() > kMaxTextBytes)
            throw Error(m_source + ": the text is too long (" + std::to_string(text.size()) + " bytes, at most "
                        + std::to_string(kMaxTextBytes) + ")");
        std::vector<int64_t> ids;
        ids.reserve(text.size() / 3 + 4);
        Scratch s;
        const UnicodeString raw = decodeText(text);
        if (raw.isBogus())
            throw Error(m_source + ": the text is too long");

        // Pass 1: added tokens matched on the raw text.
        forEachSection(raw, m_rawTrie, true, ids, [&](UnicodeString section, bool atStart) {
            // Pass 2: normalize, then the added tokens matched on the normalized text.
            if (m_normalizer)
                m_normalizer->normalize(section, m_source);
            if (section.isBogus())
                throw Error(m_source + ": the text is too long");
            forEachSection(section, m_normalizedTrie, atStart, ids, [&](UnicodeString piece, bool pieceAtStart) {
                s.pieces.clear();
                s.pieces.push_back(Piece{std::move(piece), pieceAtStart});
                if (m_preTokenizer)
                    m_preTokenizer->apply(s.pieces, m_source);
                for (const Piece &p : s.pieces) {
                    if (p.text.isBogus())
                        throw Error(m_source + ": the text is too long");
                    s.utf8.clear();
                    p.text.toUTF8String(s.utf8);
                    bpeWord(s.utf8, s, ids);
                }
            });
        });
        return ids;
    }

    // tokenizers' find_matches on one piece: emits the added tokens' ids into ids and calls
    // text(section, atStart) for each non-empty stretch between them, in order.
    template <typename F>
    void forEachSection(const UnicodeString &text, const AddedTrie &trie, bool atStart, std::vector<int64_t> &ids,
                        F &&onText) const
    {
        const int32_t n = text.length();
        if (trie.empty()) {
            if (n > 0)
                onText(text, atStart);
            return;
        }
        int32_t startOffset = 0; // end of the previous match
        int32_t i = 0;
        while (i < n) {
            int32_t stop = 0;
            const int32_t tokenIndex = trie.longestAt(text, i, stop);
            if (tokenIndex < 0) {
                ++i;
                continue;
            }
            const AddedToken &token = m_added[static_cast<size_t>(tokenIndex)];
            int32_t start = i;
            i = stop; // the search goes on after the match, also when the match is dropped
            if (token.singleWord) {
                const bool wordBefore = start > 0 && isWordChar(text.char32At(text.moveIndex32(start, -1)));
                const bool wordAfter = stop < n && isWordChar(text.char32At(stop));
                if (wordBefore || wordAfter)
                    continue;
            }
            if (token.lstrip) {
                int32_t left = start;
                while (left > startOffset) {
                    const int32_t before = text.moveIndex32(left, -1);
                    if (!isWhitespace(text.char32At(before)))
                        break;
                    left = before;
                }
                start = left;
            }
            if (token.rstrip) {
                while (stop < n && isWhitespace(text.char32At(stop)))
                    stop += U16_LENGTH(text.char32At(stop));
                // Simplification: a later match inside the absorbed whitespace is skipped.
                i = stop;
            }
            if (startOffset < start)
                onText(UnicodeString(text, startOffset, start - startOffset), atStart && startOffset == 0);
            ids.push_back(token.id);
            startOffset = stop;
        }
        if (startOffset < n)
            onText(startOffset == 0 ? text : UnicodeString(text, startOffset, n - startOffset),
                   atStart && startOffset == 0);
    }

    void requireUnk() const
    {
        if (m_modelUnkId < 0)
            throw Error(m_source + ": the text has a character outside the vocabulary and the model's unk_token "
                        + quote(m_unkToken) + " is not in the vocabulary");
    }

    // BPE on one pre-token (UTF-8), tokenizers' merge_word + merge_all.
    void bpeWord(std::string_view word, Scratch &s, std::vector<int64_t> &out) const
    {
        if (word.empty())
            return;
        if (m_ignoreMerges) {
            const auto it = m_vocab.find(word);
            if (it != m_vocab.end()) {
                out.push_back(it->second);
                return;
            }
        }
        std::vector<Symbol> &symbols = s.symbols;
        symbols.clear();
        auto add = [&](int32_t id, int32_t len) {
            const auto index = static_cast<int32_t>(symbols.size());
            if (index > 0)
                symbols.back().next = index;
            symbols.push_back(Symbol{id, index - 1, -1, len});
        };
        int32_t pendingUnkLen = 0; // bytes of a pending <unk> (fused or not yet emitted)
        auto flushUnk = [&]() {
            if (pendingUnkLen > 0)
                add(static_cast<int32_t>(m_modelUnkId), pendingUnkLen);
            pendingUnkLen = 0;
        };
        for (size_t i = 0; i < word.size();) {
            const auto lead = static_cast<unsigned char>(word[i]);
            const size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            const std::string_view c = word.substr(i, len);
            i += len;
            const auto it = m_vocab.find(c);
            if (it != m_vocab.end()) {
                flushUnk();
                add(it->second, static_cast<int32_t>(c.size()));
                continue;
            }
            if (m_byteFallback) {
                bool all = true;
                for (char byte : c)
                    all = all && m_byteIds[static_cast<unsigned char>(byte)] >= 0;
                if (all) {
                    flushUnk(); // see the note on simplifications at the top
                    for (char byte : c)
                        add(m_byteIds[static_cast<unsigned char>(byte)], 1);
                    continue;
                }
            }
            if (!m_hasUnkToken)
                continue; // dropped silently, as tokenizers does
            requireUnk();
            if (pendingUnkLen > 0 && !m_fuseUnk)
                flushUnk();
            pendingUnkLen += static_cast<int32_t>(c.size());
        }
        flushUnk();
        if (symbols.size() > 1 && !m_merges.empty())
            mergeAll(s);
        for (const Symbol &sym : symbols) {
            if (sym.len > 0)
                out.push_back(sym.id);
        }
    }

    // tokenizers' Word::merge_all: a min-heap of (rank, position); stale entries are skipped.
    void mergeAll(Scratch &s) const
    {
        std::vector<Symbol> &symbols = s.symbols;
        std::vector<QueueEntry> &queue = s.queue;
        queue.clear();
        const auto later = [](const QueueEntry &a, const QueueEntry &b) {
            return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
        };
        auto push = [&](int32_t pos, int32_t left, int32_t right) {
            const auto it = m_merges.find(pairKey(left, right));
            if (it == m_merges.end())
                return;
            queue.push_back(QueueEntry{it->second.rank, pos, it->second.newId});
            std::push_heap(queue.begin(), queue.end(), later);
        };
        for (size_t k = 0; k + 1 < symbols.size(); ++k)
            push(static_cast<int32_t>(k), symbols[k].id, symbols[k + 1].id);
        while (!queue.empty()) {
            std::pop_heap(queue.begin(), queue.end(), later);
            const QueueEntry top = queue.back();
            queue.pop_back();
            Symbol &current = symbols[static_cast<size_t>(top.pos)];
            if (current.len == 0 || current.next < 0)
                continue;
            const Symbol right = symbols[static_cast<size_t>(current.next)];
            const auto it = m_merges.find(pairKey(current.id, right.id));
            if (it == m_merges.end() || it->second.newId != top.newId)
                continue; // stale
            const int32_t rightPos = current.next;
            current.id = top.newId;
            current.len += right.len;
            current.next = right.next;
            symbols[static_cast<size_t>(rightPos)].len = 0;
            if (right.next >= 0)
                symbols[static_cast<size_t>(right.next)].prev = top.pos;
            if (current.prev >= 0)
                push(current.prev, symbols[static_cast<size_t>(current.prev)].id, current.id);
            if (current.next >= 0)
                push(top.pos, current.id, symbols[static_cast<size_t>(current.next)].id);
        }
    }

    std::string m_source;

    // Token strings: the vocabulary entries (index = position in model.vocab), then added tokens
    // whose id is not a vocabulary entry of the same content. Never modified after loading: the
    // maps hold views into it.
    std::vector<std::string> m_strings;
    std::vector<int64_t> m_vocabIds; // id of m_strings[k] for k < m_vocabCount
    size_t m_vocabCount = 0;
    std::vector<int32_t> m_idToIndex; // id -> index into m_strings, -1 for a gap
    int64_t m_maxId = -1;
    std::unordered_map<std::string_view, int32_t> m_vocab;     // model vocabulary only
    std::unordered_map<std::string_view, int64_t> m_tokenToId; // vocabulary, then added tokens
    std::unordered_map<uint64_t, Merge> m_merges;              // (left id, right id) -> merge
    const json *m_rawMerges = nullptr;                          // during loading only

    bool m_byteFallback = false;
    bool m_fuseUnk = false;
    bool m_ignoreMerges = false;
    bool m_hasUnkToken = false;
    std::string m_unkToken;
    int64_t m_modelUnkId = -1; // the id of unk_token in model.vocab, -1 if it is not there
    int32_t m_byteIds[256];    // the ids of <0x00>..<0xFF>, -1 where absent

    std::vector<AddedToken> m_added;
    std::unordered_map<std::string_view, int32_t> m_addedByContent;
    AddedTrie m_rawTrie;        // normalized: false
    AddedTrie m_normalizedTrie; // normalized: true, keyed by the normalized content

    std::unique_ptr<Normalizer> m_normalizer;
    std::unique_ptr<PreTokenizer> m_preTokenizer;
    std::vector<Template> m_templates;
};

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::fromTokenizerJson(const std::string &path)
{
    return std::make_unique<HfBpeTokenizer>(path);
}

} // namespace entroscope
