// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
//
// Hugging Face tokenizer.json (Tokenizer::fromTokenizerJson). The fixtures in data/tokenizer/hf were
// made by make_hf_tokenizer_fixtures.sh with @huggingface/tokenizers (tokenizers.js) as the
// reference; the behaviours tokenizers.js does not implement like the Rust library (Split's merged
// and contiguous behaviours, invert, single_word, fuse_unk, Metaspace split) are checked here on
// small hand-made files against results worked out from the Rust source's rules.
#include "errors.h"
#include "text/tokenizer.h"

#include <QDebug>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <thread>

using entroscope::Error;
using entroscope::Tokenizer;

namespace {

using Ids = std::vector<int64_t>;
using Strings = std::vector<std::string>;

const char *const kFixtures[] = {"gpt2",         "llama3-style",   "qwen2-style", "llama2-style",
                                 "metaspace-style", "misc-bytelevel", "misc-unk"};

QString dataPath(const QString &relative)
{
    return QStringLiteral(ENTROSCOPE_TEST_DATA "/") + relative;
}

std::string tokenizerPath(const QString &name)
{
    return dataPath(QStringLiteral("tokenizer/hf/%1/tokenizer.json").arg(name)).toStdString();
}

QJsonDocument readJson(const QString &relative)
{
    QFile file(dataPath(relative));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open fixture %s (run tests/data/tokenizer/make_hf_tokenizer_fixtures.sh)",
               qPrintable(file.fileName()));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (doc.isNull())
        qFatal("%s: %s", qPrintable(file.fileName()), qPrintable(error.errorString()));
    return doc;
}

Ids toIds(const QJsonValue &value)
{
    Ids ids;
    for (const QJsonValue &v : value.toArray())
        ids.push_back(v.toInteger());
    return ids;
}

QByteArray show(const Ids &ids)
{
    QByteArray text = "[";
    for (size_t k = 0; k < ids.size(); ++k)
        text += (k ? ", " : "") + QByteArray::number(static_cast<qint64>(ids[k]));
    return text + "]";
}

QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const Error &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

// Writes a tokenizer.json into dir and loads it.
std::unique_ptr<Tokenizer> loadJson(const QTemporaryDir &dir, const QJsonObject &doc, const QString &name = "t.json")
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    file.write(QJsonDocument(doc).toJson(QJsonDocument::Compact));
    file.close();
    return Tokenizer::fromTokenizerJson(path.toStdString());
}

QJsonObject vocabOf(const QStringList &tokens)
{
    QJsonObject vocab;
    for (int k = 0; k < tokens.size(); ++k)
        vocab[tokens[k]] = k;
    return vocab;
}

// A minimal tokenizer.json: a BPE model over `tokens` (id = index) and `merges`.
QJsonObject tinyJson(const QStringList &tokens, const QStringList &merges = {}, const QJsonObject &modelExtra = {})
{
    QJsonObject model{{"type", "BPE"}, {"dropout", QJsonValue()}, {"unk_token", QJsonValue()},
                      {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocabOf(tokens)},
                      {"merges", QJsonArray::fromStringList(merges)}};
    for (auto it = modelExtra.begin(); it != modelExtra.end(); ++it)
        model[it.key()] = it.value();
    return QJsonObject{{"version", "1.0"},       {"added_tokens", QJsonArray()}, {"normalizer", QJsonValue()},
                       {"pre_tokenizer", QJsonValue()}, {"post_processor", QJsonValue()}, {"decoder", QJsonValue()},
                       {"model", model}};
}

QStringList qt(const Strings &pieces)
{
    QStringList out;
    for (const std::string &p : pieces)
        out << QString::fromStdString(p);
    return out;
}

} // namespace

class TestHfTokenizer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void fixtureCases_data();
    void fixtureCases();
    void tokenizeRoundTrip_data();
    void tokenizeRoundTrip();
    void specialIds();
    void vocabularyAccess();
    void invalidUtf8();

    void splitBehaviours_data();
    void splitBehaviours();
    void singleWord();
    void unknownCharacters();
    void byteFallbackUppercase();
    void mergeOrder();
    void metaspaceSplit();
    void ignoreMerges();
    void addedTokenReusesVocabularyId();

    void fromFolderPicksTokenizerJson();
    void loadErrors_data();
    void loadErrors();
    void hostileFiles();

    void concurrentEncode();
    void longText();

private:
    std::map<std::string, std::unique_ptr<Tokenizer>> m_tokenizers;
};

void TestHfTokenizer::initTestCase()
{
    QElapsedTimer timer;
    timer.start();
    for (const char *name : kFixtures) {
        auto t = Tokenizer::fromTokenizerJson(tokenizerPath(name));
        QCOMPARE(QString::fromStdString(t->kind()), QStringLiteral("bpe"));
        m_tokenizers[name] = std::move(t);
    }
    qInfo("loaded %zu tokenizer.json files in %lld ms", m_tokenizers.size(), static_cast<long long>(timer.elapsed()));
}

void TestHfTokenizer::fixtureCases_data()
{
    QTest::addColumn<QString>("name");
    for (const char *name : kFixtures)
        QTest::newRow(name) << QString::fromLatin1(name);
}

// Every case of the fixture: the ids of @huggingface/tokenizers.
void TestHfTokenizer::fixtureCases()
{
    QFETCH(QString, name);
    const Tokenizer &t = *m_tokenizers.at(name.toStdString());
    const QJsonArray cases = readJson(QStringLiteral("tokenizer/hf/%1_cases.json").arg(name)).array();
    QVERIFY(cases.size() >= 100);
    int equal = 0;
    int shown = 0;
    for (const QJsonValue &c : cases) {
        const std::string text = c[QLatin1String("text")].toString().toStdString();
        const bool special = c[QLatin1String("add_special_tokens")].toBool();
        const Ids expected = toIds(c[QLatin1String("ids")]);
        const Ids got = t.encode(text, special);
        if (got == expected) {
            ++equal;
        } else if (shown++ < 10) {
            qWarning("%s: %s (special %d): got %s, expected %s", qPrintable(name),
                     qPrintable(QString::fromStdString(text).left(60).toUtf8().toPercentEncoding(" ")), special,
                     show(got).constData(), show(expected).constData());
        }
    }
    qInfo("%s: %d/%lld cases equal to @huggingface/tokenizers", qPrintable(name), equal,
          static_cast<long long>(cases.size()));
    QCOMPARE(equal, cases.size());
}

void TestHfTokenizer::tokenizeRoundTrip_data()
{
    fixtureCases_data();
}

// tokenize() gives the strings of encode()'s ids; every string maps back to its id.
void TestHfTokenizer::tokenizeRoundTrip()
{
    QFETCH(QString, name);
    const Tokenizer &t = *m_tokenizers.at(name.toStdString());
    const QJsonArray cases = readJson(QStringLiteral("tokenizer/hf/%1_cases.json").arg(name)).array();
    for (const QJsonValue &c : cases) {
        if (c[QLatin1String("add_special_tokens")].toBool())
            continue;
        const std::string text = c[QLatin1String("text")].toString().toStdString();
        const Ids ids = t.encode(text);
        const Strings pieces = t.tokenize(text);
        QCOMPARE(pieces.size(), ids.size());
        for (size_t k = 0; k < ids.size(); ++k) {
            QCOMPARE(pieces[k], t.idToToken(ids[k]));
            QCOMPARE(t.tokenToId(pieces[k]), ids[k]);
        }
    }
    // Byte-level strings and SentencePiece pieces as the vocabulary spells them.
    if (name == "gpt2")
        QCOMPARE(qt(t.tokenize(" Hello world")), (QStringList{"\u0120Hello", "\u0120world"}));
    if (name == "llama2-style")
        QCOMPARE(qt(t.tokenize("<s>x</s>")), (QStringList{"<s>", "\u2581", "x", "</s>"}));
}

void TestHfTokenizer::specialIds()
{
    const Tokenizer &gpt2 = *m_tokenizers.at("gpt2");
    QCOMPARE(gpt2.clsId(), 50256);
    QCOMPARE(gpt2.sepId(), 50256);
    QCOMPARE(gpt2.unkId(), -1);
    QCOMPARE(gpt2.padId(), -1);
    QCOMPARE(gpt2.maskId(), -1);

    const Tokenizer &llama2 = *m_tokenizers.at("llama2-style");
    QCOMPARE(llama2.unkId(), 0);
    QCOMPARE(llama2.clsId(), 1);
    QCOMPARE(llama2.sepId(), 2);

    const Tokenizer &llama3 = *m_tokenizers.at("llama3-style");
    QCOMPARE(llama3.clsId(), llama3.tokenToId("<|begin_of_text|>"));
    QCOMPARE(llama3.sepId(), llama3.tokenToId("<|end_of_text|>"));
    QVERIFY(llama3.clsId() > 6000);

    const Tokenizer &qwen2 = *m_tokenizers.at("qwen2-style");
    QCOMPARE(qwen2.clsId(), qwen2.tokenToId("<|endoftext|>"));
    QCOMPARE(qwen2.encode("hi", true), qwen2.encode("hi", false)); // ByteLevel post-processor

    const Tokenizer &misc = *m_tokenizers.at("misc-bytelevel");
    QCOMPARE(misc.clsId(), misc.tokenToId("<s>"));
    QCOMPARE(misc.sepId(), misc.tokenToId("</s>"));
    QCOMPARE(misc.maskId(), misc.tokenToId("<mask>"));
    QVERIFY(misc.maskId() > 0);
}

void TestHfTokenizer::vocabularyAccess()
{
    const Tokenizer &gpt2 = *m_tokenizers.at("gpt2");
    QCOMPARE(gpt2.vocabSize(), 50257);
    QCOMPARE(gpt2.tokenToId("<|endoftext|>"), 50256);
    QCOMPARE(gpt2.tokenToId("\u0120the"), 262);
    QCOMPARE(QString::fromStdString(gpt2.idToToken(262)), QStringLiteral("\u0120the"));
    QCOMPARE(gpt2.tokenToId("not a token"), -1);
    QVERIFY(errorOf([&] { gpt2.idToToken(50257); }).contains("outside the vocabulary"));
    QVERIFY(errorOf([&] { gpt2.idToToken(-1); }).contains("outside the vocabulary"));

    const Tokenizer &llama3 = *m_tokenizers.at("llama3-style");
    QCOMPARE(llama3.vocabSize(), llama3.tokenToId("<|python_tag|>") + 1);

    // A gap between ids: vocabSize counts it, idToToken refuses it.
    QTemporaryDir dir;
    QJsonObject doc = tinyJson({"a"});
    QJsonObject model = doc["model"].toObject();
    model["vocab"] = QJsonObject{{"a", 0}, {"b", 2}};
    doc["model"] = model;
    const auto t = loadJson(dir, doc);
    QCOMPARE(t->vocabSize(), 3);
    QVERIFY(errorOf([&] { t->idToToken(1); }).contains("has no token"));
    QCOMPARE(t->encode("ab"), (Ids{0, 2}));
}

// Invalid UTF-8 reads as U+FFFD, one per bad byte (byte-level: the bytes EF BF BD).
void TestHfTokenizer::invalidUtf8()
{
    const Tokenizer &gpt2 = *m_tokenizers.at("gpt2");
    QCOMPARE(gpt2.encode("a\xff" "b"), gpt2.encode("a\xEF\xBF\xBD" "b"));
    QCOMPARE(gpt2.encode("\xC3"), gpt2.encode("\xEF\xBF\xBD"));
    QCOMPARE(gpt2.encode("\xE2\x82"), gpt2.encode("\xEF\xBF\xBD\xEF\xBF\xBD"));
    const Tokenizer &llama2 = *m_tokenizers.at("llama2-style");
    QCOMPARE(llama2.encode("x\x80"), llama2.encode("x\xEF\xBF\xBD"));
}

void TestHfTokenizer::splitBehaviours_data()
{
    QTest::addColumn<QString>("behavior");
    QTest::addColumn<bool>("invert");
    QTest::addColumn<QStringList>("pieces");
    // "a-b--c" split on "-": spans a | - | b | - | - | c (the rules of tokenizers' normalizer.rs).
    QTest::newRow("Isolated") << "Isolated" << false << QStringList{"a", "-", "b", "-", "-", "c"};
    QTest::newRow("Removed") << "Removed" << false << QStringList{"a", "b", "c"};
    QTest::newRow("MergedWithPrevious") << "MergedWithPrevious" << false << QStringList{"a-", "b-", "-", "c"};
    QTest::newRow("MergedWithNext") << "MergedWithNext" << false << QStringList{"a", "-b", "-", "-c"};
    QTest::newRow("Contiguous") << "Contiguous" << false << QStringList{"a", "-", "b", "--", "c"};
    QTest::newRow("Removed inverted") << "Removed" << true << QStringList{"-", "-", "-"};
    QTest::newRow("Isolated inverted") << "Isolated" << true << QStringList{"a", "-", "b", "-", "-", "c"};
    QTest::newRow("MergedWithPrevious inverted") << "MergedWithPrevious" << true << QStringList{"a", "-b", "-", "-c"};
}

void TestHfTokenizer::splitBehaviours()
{
    QFETCH(QString, behavior);
    QFETCH(bool, invert);
    QFETCH(QStringList, pieces);
    // ignore_merges with every candidate piece in the vocabulary: each pre-token comes out whole.
    const QStringList tokens{"a", "b", "c", "-", "a-", "b-", "-b", "-c", "--"};
    QTemporaryDir dir;
    for (const bool regex : {false, true}) {
        QJsonObject doc = tinyJson(tokens, {}, QJsonObject{{"ignore_merges", true}});
        doc["pre_tokenizer"] = QJsonObject{{"type", "Split"},
                                           {"pattern", QJsonObject{{regex ? "Regex" : "String", "-"}}},
                                           {"behavior", behavior},
                                           {"invert", invert}};
        const auto t = loadJson(dir, doc);
        QCOMPARE(qt(t->tokenize("a-b--c")), pieces);
    }
}

// single_word: a match next to a word character is not a token (tokenizers' find_matches).
void TestHfTokenizer::singleWord()
{
    QTemporaryDir dir;
    QJsonObject doc = tinyJson({"a", "b", "c", " ", "x"});
    doc["added_tokens"] = QJsonArray{QJsonObject{{"id", 5}, {"content", "ab"}, {"single_word", true},
                                                 {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                                                 {"special", true}}};
    const auto t = loadJson(dir, doc);
    QCOMPARE(t->encode("ab cab abx ab"), (Ids{5, 3, 2, 0, 1, 3, 0, 1, 4, 3, 5}));
    QCOMPARE(t->encode("ab"), (Ids{5}));
}

// Characters outside the vocabulary: <unk> (fused or not), or dropped without an unk_token.
void TestHfTokenizer::unknownCharacters()
{
    QTemporaryDir dir;
    const QStringList tokens{"<unk>", "a", "b"};
    const auto fused = loadJson(dir, tinyJson(tokens, {}, QJsonObject{{"unk_token", "<unk>"}, {"fuse_unk", true}}));
    QCOMPARE(fused->encode("axyb\xC3\xA9"), (Ids{1, 0, 2, 0}));
    QCOMPARE(fused->unkId(), 0);
    const auto separate = loadJson(dir, tinyJson(tokens, {}, QJsonObject{{"unk_token", "<unk>"}}));
    QCOMPARE(separate->encode("axyb\xC3\xA9"), (Ids{1, 0, 0, 2, 0}));
    const auto dropped = loadJson(dir, tinyJson(tokens));
    QCOMPARE(dropped->encode("axyb\xC3\xA9"), (Ids{1, 2}));
    QCOMPARE(dropped->unkId(), 0); // the "<unk>" entry, although the model has no unk_token

    // An unk_token that is not a token: an error only when a character needs it.
    const auto missing = loadJson(dir, tinyJson({"a"}, {}, QJsonObject{{"unk_token", "<unk>"}}));
    QCOMPARE(missing->encode("aa"), (Ids{0, 0}));
    const QString error = errorOf([&] { missing->encode("ab"); });
    QVERIFY2(error.contains("unk_token") && error.contains("t.json"), qPrintable(error));
}

// <0xXX> with uppercase hex digits only; a character with a missing byte piece goes to <unk>.
void TestHfTokenizer::byteFallbackUppercase()
{
    QTemporaryDir dir;
    const QStringList tokens{"<unk>", "a", "<0xC3>", "<0xA9>", "<0xc3>", "<0x0A>"};
    const auto t = loadJson(dir, tinyJson(tokens, {}, QJsonObject{{"unk_token", "<unk>"}, {"byte_fallback", true},
                                                                  {"fuse_unk", true}}));
    QCOMPARE(t->encode("a\xC3\xA9\n"), (Ids{1, 2, 3, 5}));
    QCOMPARE(t->encode("\xC3\xA8" "a"), (Ids{0, 1})); // <0xA8> is missing
}

// The heap rule: lowest rank first, ties to the leftmost pair; stale pairs are skipped.
void TestHfTokenizer::mergeOrder()
{
    QTemporaryDir dir;
    const QStringList tokens{"a", "b", "c", "ab", "bc", "aa", "abc"};
    const auto bcFirst = loadJson(dir, tinyJson(tokens, {"b c", "a b", "ab c"}));
    QCOMPARE(bcFirst->encode("abc"), (Ids{0, 4}));
    const auto abFirst = loadJson(dir, tinyJson(tokens, {"a b", "b c", "ab c"}));
    QCOMPARE(abFirst->encode("abc"), (Ids{6}));
    const auto ties = loadJson(dir, tinyJson(tokens, {"a a"}));
    QCOMPARE(ties->encode("aaa"), (Ids{5, 0}));
    QCOMPARE(ties->encode("aaaa"), (Ids{5, 5}));
    // The pair form gives the same merges, and may hold tokens with spaces.
    QJsonObject doc = tinyJson({"a", " ", "a ", "a a"});
    QJsonObject model = doc["model"].toObject();
    model["merges"] = QJsonArray{QJsonArray{"a", " "}, QJsonArray{"a ", "a"}};
    doc["model"] = model;
    QCOMPARE(loadJson(dir, doc)->encode("a a"), (Ids{3}));
}

// Metaspace with split true: every "▁" starts a pre-token (MergedWithNext).
void TestHfTokenizer::metaspaceSplit()
{
    QTemporaryDir dir;
    const QStringList tokens{"\u2581hello", "\u2581world", "\u2581", "h"};
    QJsonObject doc = tinyJson(tokens, {}, QJsonObject{{"ignore_merges", true}});
    doc["pre_tokenizer"] = QJsonObject{{"type", "Metaspace"}, {"replacement", "\u2581"},
                                       {"prepend_scheme", "always"}, {"split", true}};
    QCOMPARE(qt(loadJson(dir, doc)->tokenize("hello  world")),
             (QStringList{"\u2581hello", "\u2581", "\u2581world"}));
    // The legacy key: add_prefix_space false means prepend_scheme "never".
    doc["pre_tokenizer"] = QJsonObject{{"type", "Metaspace"}, {"replacement", "\u2581"}, {"add_prefix_space", false}};
    QCOMPARE(qt(loadJson(dir, doc)->tokenize("h world")), (QStringList{"h", "\u2581world"}));
}

// llama_family.md §7 item 1: with ignore_merges a pre-token that is a vocabulary entry is emitted whole.
void TestHfTokenizer::ignoreMerges()
{
    const Tokenizer &llama3 = *m_tokenizers.at("llama3-style");
    const int64_t viet = llama3.tokenToId("\u0120Vi\u00e1\u00bb\u0129t");
    QVERIFY(viet > 0);
    QCOMPARE(llama3.encode(" Vi\xE1\xBB\x87t"), (Ids{viet}));
    QVERIFY(llama3.encode(" Vi\xE1\xBB\x87tx").size() > 1);
}

// An added token may take the id of a vocabulary entry with other content (the added token wins
// in idToToken, both contents keep their id in tokenToId).
void TestHfTokenizer::addedTokenReusesVocabularyId()
{
    QTemporaryDir dir;
    QJsonObject doc = tinyJson({"a", "b", "unused"});
    doc["added_tokens"] = QJsonArray{QJsonObject{{"id", 2}, {"content", "<x>"}, {"special", true},
                                                 {"normalized", false}}};
    const auto t = loadJson(dir, doc);
    QCOMPARE(t->encode("a<x>b"), (Ids{0, 2, 1}));
    QCOMPARE(QString::fromStdString(t->idToToken(2)), QStringLiteral("<x>"));
    QCOMPARE(t->tokenToId("<x>"), 2);
    QCOMPARE(t->tokenToId("unused"), 2);
    QCOMPARE(t->vocabSize(), 3);
}

void TestHfTokenizer::fromFolderPicksTokenizerJson()
{
    QTemporaryDir dir;
    const QString folder = dir.path();
    QVERIFY(QFile::copy(QString::fromStdString(tokenizerPath("llama2-style")), folder + "/tokenizer.json"));
    QVERIFY(QFile::copy(dataPath("tokenizer/tiny_sp.model"), folder + "/tokenizer.model"));
    auto t = Tokenizer::fromFolder(folder.toStdString());
    QCOMPARE(QString::fromStdString(t->kind()), QStringLiteral("bpe"));
    QCOMPARE(t->encode("<s>x</s>"), m_tokenizers.at("llama2-style")->encode("<s>x</s>"));

    // vocab.txt comes first.
    {
        QFile vocab(folder + "/vocab.txt");
        QVERIFY(vocab.open(QIODevice::WriteOnly));
        vocab.write("[PAD]\n[UNK]\nhello\n");
    }
    QCOMPARE(QString::fromStdString(Tokenizer::fromFolder(folder.toStdString())->kind()), QStringLiteral("wordpiece"));

    // A broken tokenizer.json is reported (not skipped for the *.model file), naming the file.
    QVERIFY(QFile::remove(folder + "/vocab.txt"));
    QVERIFY(QFile::remove(folder + "/tokenizer.json"));
    {
        QFile broken(folder + "/tokenizer.json");
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("{\"model\": ");
    }
    const QString error = errorOf([&] { Tokenizer::fromFolder(folder.toStdString()); });
    QVERIFY2(error.contains("tokenizer.json: invalid JSON"), qPrintable(error));
}

void TestHfTokenizer::loadErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");

    auto doc = [](const std::function<void(QJsonObject &)> &edit) {
        QJsonObject d = tinyJson({"a", "b", "ab"}, {"a b"});
        edit(d);
        return QJsonDocument(d).toJson(QJsonDocument::Compact);
    };
    auto model = [&](const std::function<void(QJsonObject &)> &edit) {
        return doc([&](QJsonObject &d) {
            QJsonObject m = d["model"].toObject();
            edit(m);
            d["model"] = m;
        });
    };
    QTest::newRow("truncated") << QByteArray("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\"") << "invalid JSON: parse error";
    QTest::newRow("empty") << QByteArray() << "the tokenizer file is empty";
    QTest::newRow("not an object") << QByteArray("[1, 2]") << "top level must be a JSON object";
    QTest::newRow("no model") << QByteArray("{}") << "no \"model\"";
    QTest::newRow("unigram") << model([](QJsonObject &m) { m["type"] = "Unigram"; })
                             << "model \"Unigram\" is not supported";
    QTest::newRow("bert pre-tokenizer")
        << doc([](QJsonObject &d) { d["pre_tokenizer"] = QJsonObject{{"type", "BertPreTokenizer"}}; })
        << "pre_tokenizer \"BertPreTokenizer\" is not supported";
    QTest::newRow("nested unknown normalizer")
        << doc([](QJsonObject &d) {
               d["normalizer"] = QJsonObject{{"type", "Sequence"},
                                             {"normalizers", QJsonArray{QJsonObject{{"type", "NFC"}},
                                                                        QJsonObject{{"type", "Precompiled"}}}}};
           })
        << "normalizer \"Precompiled\" is not supported";
    QTest::newRow("unknown post-processor")
        << doc([](QJsonObject &d) { d["post_processor"] = QJsonObject{{"type", "Magic"}}; })
        << "post_processor \"Magic\" is not supported";
    QTest::newRow("split behaviour")
        << doc([](QJsonObject &d) {
               d["pre_tokenizer"] = QJsonObject{{"type", "Split"}, {"pattern", QJsonObject{{"String", " "}}},
                                                {"behavior", "Sideways"}, {"invert", false}};
           })
        << "behavior \"Sideways\" is not supported";
    QTest::newRow("bad regex")
        << doc([](QJsonObject &d) {
               d["pre_tokenizer"] = QJsonObject{{"type", "Split"}, {"pattern", QJsonObject{{"Regex", "(a"}}},
                                                {"behavior", "Isolated"}, {"invert", false}};
           })
        << "does not compile";
    QTest::newRow("dropout") << model([](QJsonObject &m) { m["dropout"] = 0.1; }) << "dropout 0.1 is not supported";
    QTest::newRow("subword prefix") << model([](QJsonObject &m) { m["continuing_subword_prefix"] = "##"; })
                                    << "\"continuing_subword_prefix\" \"##\" is not supported";
    QTest::newRow("bad merges entry") << model([](QJsonObject &m) { m["merges"] = QJsonArray{"a b c"}; })
                                      << "merges[0]: \"a b c\" is not two tokens";
    QTest::newRow("merges entry type") << model([](QJsonObject &m) { m["merges"] = QJsonArray{42}; })
                                       << "merges[0]: 42 is neither";
    QTest::newRow("merge out of vocabulary") << model([](QJsonObject &m) { m["merges"] = QJsonArray{"a c"}; })
                                             << "merges[0]: \"c\" is not in the vocabulary";
    QTest::newRow("merge result out of vocabulary")
        << model([](QJsonObject &m) { m["merges"] = QJsonArray{"b a"}; }) << "merged token \"ba\" is not in";
    QTest::newRow("negative id") << model([](QJsonObject &m) { m["vocab"] = QJsonObject{{"a", -1}}; })
                                 << "model vocab: \"a\" has id -1";
    QTest::newRow("huge id") << model([](QJsonObject &m) { m["vocab"] = QJsonObject{{"a", 1e12}}; })
                             << "model vocab: \"a\" has id";
    QTest::newRow("fractional id") << model([](QJsonObject &m) { m["vocab"] = QJsonObject{{"a", 1.5}}; })
                                   << "has id 1.5";
    QTest::newRow("duplicate id") << model([](QJsonObject &m) {
        m["vocab"] = QJsonObject{{"a", 0}, {"b", 0}};
        m["merges"] = QJsonArray{};
    }) << "id 0 is used by both \"a\" and \"b\"";
    QTest::newRow("added id out of range")
        << doc([](QJsonObject &d) { d["added_tokens"] = QJsonArray{QJsonObject{{"id", 1 << 30}, {"content", "<x>"}}}; })
        << "added_tokens[0] \"<x>\" has id 1073741824";
    QTest::newRow("added ids clash")
        << doc([](QJsonObject &d) {
               d["added_tokens"] = QJsonArray{QJsonObject{{"id", 7}, {"content", "<x>"}},
                                              QJsonObject{{"id", 7}, {"content", "<y>"}}};
           })
        << "id 7 is used by both \"<x>\" and \"<y>\"";
    QTest::newRow("template id out of range")
        << doc([](QJsonObject &d) {
               d["post_processor"] = QJsonObject{
                   {"type", "TemplateProcessing"},
                   {"single", QJsonArray{QJsonObject{{"SpecialToken", QJsonObject{{"id", "<s>"}, {"type_id", 0}}}},
                                         QJsonObject{{"Sequence", QJsonObject{{"id", "A"}, {"type_id", 0}}}}}},
                   {"special_tokens", QJsonObject{{"<s>", QJsonObject{{"id", "<s>"}, {"ids", QJsonArray{99}}}}}}};
           })
        << "id 99 is not a token of the file";
    QTest::newRow("template without special_tokens")
        << doc([](QJsonObject &d) {
               d["post_processor"] = QJsonObject{
                   {"type", "TemplateProcessing"},
                   {"single", QJsonArray{QJsonObject{{"SpecialToken", QJsonObject{{"id", "<s>"}, {"type_id", 0}}}}}}};
           })
        << "special token \"<s>\" is not in \"special_tokens\"";
    QTest::newRow("metaspace contradiction")
        << doc([](QJsonObject &d) {
               d["pre_tokenizer"] = QJsonObject{{"type", "Metaspace"}, {"replacement", "\u2581"},
                                                {"prepend_scheme", "always"}, {"add_prefix_space", false}};
           })
        << "contradicts prepend_scheme";
    QTest::newRow("vocab not an object") << model([](QJsonObject &m) { m["vocab"] = QJsonArray{}; })
                                         << "\"vocab\" must be a JSON object";
}

// Every error is one line that names the file and the reason.
void TestHfTokenizer::loadErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString path = dir.filePath("tokenizer.json");
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(json);
    }
    const QString error = errorOf([&] { Tokenizer::fromTokenizerJson(path.toStdString()); });
    QVERIFY2(error.startsWith(path + ": "), qPrintable(error));
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY2(!error.contains('\n'), qPrintable(error));
}

void TestHfTokenizer::hostileFiles()
{
    QTemporaryDir dir;
    auto load = [&](const QByteArray &bytes) {
        const QString path = dir.filePath("h.json");
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write");
        file.write(bytes);
        file.close();
        return errorOf([&] { Tokenizer::fromTokenizerJson(path.toStdString()); });
    };
    // Deeply nested arrays: parsed and destroyed without recursion, then refused.
    QVERIFY(load(QByteArray(200000, '[') + QByteArray(200000, ']')).contains("top level must be a JSON object"));
    // A deep Sequence of normalizers.
    QByteArray nested = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"normalizer\":";
    for (int k = 0; k < 100; ++k)
        nested += "{\"type\":\"Sequence\",\"normalizers\":[";
    nested += QByteArray(100, ']').replace("]", "]}");
    nested += "}";
    QVERIFY(load(nested).contains("nested more than"));
    // An empty vocabulary.
    QVERIFY(load("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}").contains("the vocabulary is empty"));
    // A regex with catastrophic backtracking hits ICU's time limit instead of hanging (a few seconds).
    {
        const QString path = dir.filePath("slow.json");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"pre_tokenizer":)"
                   R"({"type":"Split","pattern":{"Regex":"(a|aa)+c"},"behavior":"Isolated","invert":false}})");
        file.close();
        const auto t = Tokenizer::fromTokenizerJson(path.toStdString());
        QCOMPARE(t->encode("aaaa"), (Ids{0, 0, 0, 0}));
        const QString error = errorOf([&] { t->encode(std::string(60, 'a')); });
        QVERIFY2(error.contains("takes too long"), qPrintable(error));
    }
    // Invalid UTF-8 inside a JSON string.
    QVERIFY(load("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"\xff\":0},\"merges\":[]}}").contains("invalid JSON"));
    // Each prefix of a real file is refused cleanly.
    QFile real(QString::fromStdString(tokenizerPath("misc-unk")));
    QVERIFY(real.open(QIODevice::ReadOnly));
    const QByteArray bytes = real.readAll();
    for (int cut = 0; cut < bytes.size() - 2; cut += 97)
        QVERIFY(!load(bytes.left(cut)).isEmpty());
    // A file larger than the limit is refused before it is read (sparse, so nothing is written).
    const QString big = dir.filePath("big.json");
    {
        QFile file(big);
        QVERIFY(file.open(QIODevice::WriteOnly));
    }
    std::error_code ec;
    std::filesystem::resize_file(big.toStdString(), (uintmax_t(1) << 30) + 1, ec);
    if (!ec) {
        const QString error = errorOf([&] { Tokenizer::fromTokenizerJson(big.toStdString()); });
        QVERIFY2(error.contains("larger than 1 GiB"), qPrintable(error));
    }
    // Missing file, folder.
    QVERIFY(errorOf([&] { Tokenizer::fromTokenizerJson(dir.filePath("nope.json").toStdString()); })
                .contains("does not exist"));
    QVERIFY(errorOf([&] { Tokenizer::fromTokenizerJson(dir.path().toStdString()); }).contains("is a folder"));
}

void TestHfTokenizer::concurrentEncode()
{
    const QJsonArray cases = readJson("tokenizer/hf/llama3-style_cases.json").array();
    std::vector<std::string> texts;
    std::vector<Ids> expected;
    std::vector<char> special;
    for (const QJsonValue &c : cases) {
        texts.push_back(c[QLatin1String("text")].toString().toStdString());
        expected.push_back(toIds(c[QLatin1String("ids")]));
        special.push_back(c[QLatin1String("add_special_tokens")].toBool());
    }
    const Tokenizer &t = *m_tokenizers.at("llama3-style");
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < 4; ++w) {
        threads.emplace_back([&, w] {
            for (size_t k = static_cast<size_t>(w); k < texts.size(); k += 2) {
                if (t.encode(texts[k], special[k] != 0) != expected[k])
                    ++wrong;
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    QCOMPARE(wrong.load(), 0);
}

// Long inputs stay fast: a whole corpus line for every tokenizer, and one pre-token of 200 000
// characters (legacy Llama 2 has no pre-tokenizer: the whole text is one BPE word).
void TestHfTokenizer::longText()
{
    std::string text;
    const QJsonArray cases = readJson("tokenizer/hf/gpt2_cases.json").array();
    for (const QJsonValue &c : cases)
        text += c[QLatin1String("text")].toString().toStdString() + " ";
    while (text.size() < 200000)
        text += text;
    QElapsedTimer timer;
    timer.start();
    for (const char *name : kFixtures) {
        const Ids ids = m_tokenizers.at(name)->encode(text);
        QVERIFY(ids.size() > text.size() / 8);
    }
    const Ids run = m_tokenizers.at("gpt2")->encode(std::string(200000, 'a'));
    QVERIFY(!run.empty());
    const Ids word = m_tokenizers.at("llama2-style")->encode(std::string(200000, 'e'));
    QVERIFY(!word.empty());
    qInfo("long texts: %lld ms", static_cast<long long>(timer.elapsed()));
    QVERIFY(timer.elapsed() < 5000);
}

QTEST_GUILESS_MAIN(TestHfTokenizer)
#include "tst_hf_tokenizer.moc"
