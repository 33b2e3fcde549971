// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "errors.h"
#include "text/tokenizer.h"

#include <QDebug>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>
#include <thread>

using entroscope::Error;
using entroscope::Tokenizer;

namespace {

using Ids = std::vector<int64_t>;

QString dataPath(const QString &relative)
{
    return QStringLiteral(ENTROSCOPE_TEST_DATA "/") + relative;
}

QJsonDocument readJson(const QString &relative)
{
    QFile file(dataPath(relative));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open fixture %s (run tests/data/tokenizer/make_tokenizer_fixtures.py)",
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

// A readable data tag: control and other invisible characters would make the test log unreadable.
QByteArray rowName(int index, const QString &text)
{
    QString shown;
    for (const QChar c : text.left(32))
        shown += (c.isPrint() && c != QLatin1Char('\\')) ? QString(c) : QStringLiteral("?");
    return QByteArray::number(index) + ": " + shown.toUtf8();
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    QCOMPARE(file.write(bytes), bytes.size());
}

// Runs f, which must throw entroscope::Error, and returns the message ("" if it did not throw).
QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const Error &e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace

// Failing comparisons of id lists print the lists.
template<>
char *QTest::toString(const Ids &ids)
{
    QByteArray text = "[";
    for (size_t k = 0; k < ids.size(); ++k)
        text += (k ? ", " : "") + QByteArray::number(static_cast<qint64>(ids[k]));
    text += "]";
    return qstrdup(text.constData());
}

class TestTokenizer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void wordPieceCases_data();
    void wordPieceCases();
    void sentencePieceCases_data();
    void sentencePieceCases();

    void gauAlphaTestVector();
    void specialIdsOfRealVocab();
    void specialIdsOfSentencePiece();
    void tokenToIdAndBack();
    void idToTokenOutOfRange_data();
    void idToTokenOutOfRange();
    void invalidUtf8IsDropped();
    void perCharacterLowercase();
    void vocabFileFormats_data();
    void vocabFileFormats();
    void vocabWithoutSpecials();

    void fromFolderPicksTokenizer_data();
    void fromFolderPicksTokenizer();
    void loadErrors_data();
    void loadErrors();

    void concurrentEncode();
    void encodeOneMegabyte();

private:
    std::unique_ptr<Tokenizer> m_wordPiece;
    std::unique_ptr<Tokenizer> m_sentencePiece;
};

void TestTokenizer::initTestCase()
{
    m_wordPiece = Tokenizer::fromVocabFile(dataPath("vocab/vocab.txt").toStdString());
    m_sentencePiece = Tokenizer::fromSentencePieceFile(dataPath("tokenizer/tiny_sp.model").toStdString());
    QCOMPARE(QString::fromStdString(m_wordPiece->kind()), QStringLiteral("wordpiece"));
    QCOMPARE(QString::fromStdString(m_sentencePiece->kind()), QStringLiteral("sentencepiece"));
}

void TestTokenizer::wordPieceCases_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Ids>("ids");
    QTest::addColumn<Ids>("idsSpecial");

    const QJsonArray cases = readJson("tokenizer/wordpiece_cases.json").array();
    QVERIFY(cases.size() >= 40);
    int index = 0;
    for (const QJsonValue &c : cases) {
        const QString text = c[QLatin1String("text")].toString();
        QTest::newRow(rowName(index++, text).constData())
            << text << toIds(c[QLatin1String("ids")]) << toIds(c[QLatin1String("ids_special")]);
    }
}

void TestTokenizer::wordPieceCases()
{
    QFETCH(QString, text);
    QFETCH(Ids, ids);
    QFETCH(Ids, idsSpecial);
    const std::string utf8 = text.toStdString();

    QCOMPARE(m_wordPiece->encode(utf8), ids);
    QCOMPARE(m_wordPiece->encode(utf8, true), idsSpecial);

    const std::vector<std::string> pieces = m_wordPiece->tokenize(utf8);
    QCOMPARE(pieces.size(), ids.size());
    for (size_t k = 0; k < ids.size(); ++k)
        QCOMPARE(QString::fromStdString(pieces[k]), QString::fromStdString(m_wordPiece->idToToken(ids[k])));
}

void TestTokenizer::sentencePieceCases_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Ids>("ids");
    QTest::addColumn<QStringList>("pieces");

    const QJsonObject fixture = readJson("tokenizer/sentencepiece_cases.json").object();
    QCOMPARE(fixture[QLatin1String("piece_size")].toInt(), 300);
    int index = 0;
    for (const QJsonValue &c : fixture[QLatin1String("cases")].toArray()) {
        const QString text = c[QLatin1String("text")].toString();
        QStringList pieces;
        for (const QJsonValue &p : c[QLatin1String("pieces")].toArray())
            pieces << p.toString();
        QTest::newRow(rowName(index++, text).constData()) << text << toIds(c[QLatin1String("ids")]) << pieces;
    }
}

void TestTokenizer::sentencePieceCases()
{
    QFETCH(QString, text);
    QFETCH(Ids, ids);
    QFETCH(QStringList, pieces);
    const std::string utf8 = text.toStdString();

    QCOMPARE(m_sentencePiece->encode(utf8), ids);
    Ids withSpecial{m_sentencePiece->clsId()};
    withSpecial.insert(withSpecial.end(), ids.begin(), ids.end());
    withSpecial.push_back(m_sentencePiece->sepId());
    QCOMPARE(m_sentencePiece->encode(utf8, true), withSpecial);

    QStringList got;
    for (const std::string &p : m_sentencePiece->tokenize(utf8))
        got << QString::fromStdString(p);
    QCOMPARE(got, pieces);
}

// gau_alpha.md section 10, written out here as well so that the golden does not depend on the
// fixture script.
void TestTokenizer::gauAlphaTestVector()
{
    const std::string text = "今天[MASK]很好，我[MASK]去公园玩。";
    const Ids expected{101, 317, 1466, 103, 2100, 1506, 7675, 2351, 103, 861, 585, 1253, 4041, 179, 102};
    QCOMPARE(m_wordPiece->encode(text, true), expected);
    QCOMPARE(m_wordPiece->encode(text), Ids(expected.begin() + 1, expected.end() - 1));
    const std::vector<std::string> pieces = m_wordPiece->tokenize(text);
    QCOMPARE(pieces.size(), size_t(13));
    QCOMPARE(QString::fromStdString(pieces[2]), QStringLiteral("[MASK]"));
    QCOMPARE(QString::fromStdString(pieces[5]), QStringLiteral("，"));
}

void TestTokenizer::specialIdsOfRealVocab()
{
    QCOMPARE(m_wordPiece->vocabSize(), int64_t(12000));
    QCOMPARE(m_wordPiece->padId(), int64_t(0));
    QCOMPARE(m_wordPiece->unkId(), int64_t(100));
    QCOMPARE(m_wordPiece->clsId(), int64_t(101));
    QCOMPARE(m_wordPiece->sepId(), int64_t(102));
    QCOMPARE(m_wordPiece->maskId(), int64_t(103));
}

void TestTokenizer::specialIdsOfSentencePiece()
{
    // The fixture model names its pad/unk/bos/eos pieces [PAD] [UNK] [CLS] [SEP] and has [MASK] as a
    // user-defined symbol (make_tokenizer_fixtures.py).
    QCOMPARE(m_sentencePiece->vocabSize(), int64_t(300));
    QCOMPARE(m_sentencePiece->padId(), int64_t(0));
    QCOMPARE(m_sentencePiece->unkId(), int64_t(1));
    QCOMPARE(m_sentencePiece->clsId(), int64_t(2));
    QCOMPARE(m_sentencePiece->sepId(), int64_t(3));
    QCOMPARE(m_sentencePiece->maskId(), int64_t(4));
}

void TestTokenizer::tokenToIdAndBack()
{
    QCOMPARE(m_wordPiece->tokenToId("[MASK]"), int64_t(103));
    QCOMPARE(m_wordPiece->tokenToId("今"), int64_t(317));
    QCOMPARE(m_wordPiece->tokenToId("##ing"), int64_t(11328));
    QCOMPARE(m_wordPiece->tokenToId("[mask]"), int64_t(-1));
    QCOMPARE(m_wordPiece->tokenToId(""), int64_t(-1));
    for (int64_t id : {int64_t(0), int64_t(100), int64_t(7675), int64_t(11999)})
        QCOMPARE(m_wordPiece->tokenToId(m_wordPiece->idToToken(id)), id);

    QCOMPARE(m_sentencePiece->tokenToId("[MASK]"), int64_t(4));
    QCOMPARE(m_sentencePiece->tokenToId("[UNK]"), int64_t(1));
    QCOMPARE(m_sentencePiece->tokenToId("\xE2\x96\x81the"), int64_t(8));
    QCOMPARE(m_sentencePiece->tokenToId("no-such-piece"), int64_t(-1));
    for (int64_t id = 0; id < m_sentencePiece->vocabSize(); ++id)
        QCOMPARE(m_sentencePiece->tokenToId(m_sentencePiece->idToToken(id)), id);
}

void TestTokenizer::idToTokenOutOfRange_data()
{
    QTest::addColumn<bool>("sentencePiece");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QString>("file");
    QTest::newRow("wordpiece -1") << false << qint64(-1) << "vocab.txt";
    QTest::newRow("wordpiece 12000") << false << qint64(12000) << "vocab.txt";
    QTest::newRow("sentencepiece -1") << true << qint64(-1) << "tiny_sp.model";
    QTest::newRow("sentencepiece 300") << true << qint64(300) << "tiny_sp.model";
}

void TestTokenizer::idToTokenOutOfRange()
{
    QFETCH(bool, sentencePiece);
    QFETCH(qint64, id);
    QFETCH(QString, file);
    const Tokenizer &t = sentencePiece ? *m_sentencePiece : *m_wordPiece;
    const QString message = errorOf([&] { t.idToToken(id); });
    QVERIFY2(message.contains(file) && message.contains(QString::number(id)), qPrintable(message));
}

// Bytes that are not UTF-8 read as U+FFFD, which BERT's cleaning drops.
void TestTokenizer::invalidUtf8IsDropped()
{
    QCOMPARE(m_wordPiece->encode("hel\xFFlo wor\xC3ld"), m_wordPiece->encode("hello world"));
    QCOMPARE(m_wordPiece->encode("\xED\xA0\x80"), Ids{}); // an encoded surrogate
    QCOMPARE(m_wordPiece->encode("\xE4\xBB"), Ids{});     // truncated 今
}

// HF lowercases one character at a time before BasicTokenizer sees the text, so Greek capital sigma
// at the end of a word becomes σ, never the final form ς. The real vocabulary has neither, hence a
// small vocabulary here.
void TestTokenizer::perCharacterLowercase()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("vocab.txt");
    writeFile(path, QStringLiteral("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nοδοσ\nοδος\ni\n##stanbul\n").toUtf8());
    const auto t = Tokenizer::fromVocabFile(path.toStdString());
    QCOMPARE(t->encode("ΟΔΟΣ"), (Ids{5}));
    QCOMPARE(t->encode("οδος"), (Ids{6}));
    // U+0130 lowercases to "i" + U+0307; the mark goes with the accents.
    QCOMPARE(t->encode("İstanbul"), (Ids{7, 8}));
    QCOMPARE(t->encode("İ"), (Ids{7}));
}

void TestTokenizer::vocabFileFormats_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<qint64>("helloId");

    QTest::newRow("LF, trailing newline") << QByteArray("[PAD]\n[UNK]\nhello\n") << qint64(3) << qint64(2);
    QTest::newRow("no trailing newline") << QByteArray("[PAD]\n[UNK]\nhello") << qint64(3) << qint64(2);
    QTest::newRow("CRLF") << QByteArray("[PAD]\r\n[UNK]\r\nhello\r\n") << qint64(3) << qint64(2);
    QTest::newRow("byte order mark") << QByteArray("\xEF\xBB\xBF[PAD]\n[UNK]\nhello\n") << qint64(3) << qint64(2);
    QTest::newRow("empty line keeps ids") << QByteArray("[PAD]\n\n[UNK]\nhello\n") << qint64(4) << qint64(3);
    QTest::newRow("duplicate: later wins") << QByteArray("hello\n[PAD]\n[UNK]\nhello\n") << qint64(4) << qint64(3);
}

void TestTokenizer::vocabFileFormats()
{
    QFETCH(QByteArray, content);
    QFETCH(qint64, size);
    QFETCH(qint64, helloId);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    writeFile(dir.filePath("vocab.txt"), content);
    const auto t = Tokenizer::fromVocabFile(dir.filePath("vocab.txt").toStdString());
    QCOMPARE(t->vocabSize(), size);
    QCOMPARE(t->padId(), t->tokenToId("[PAD]"));
    QCOMPARE(QString::fromStdString(t->idToToken(t->padId())), QStringLiteral("[PAD]"));
    QCOMPARE(t->tokenToId("hello"), helloId);
    QCOMPARE(t->encode("Hello HELLO zzz"), (Ids{helloId, helloId, t->unkId()}));
}

void TestTokenizer::vocabWithoutSpecials()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    writeFile(dir.filePath("vocab.txt"), "a\nb\n##b\n[\n]\n");
    const auto t = Tokenizer::fromVocabFile(dir.filePath("vocab.txt").toStdString());
    QCOMPARE(t->padId(), int64_t(-1));
    QCOMPARE(t->unkId(), int64_t(-1));
    QCOMPARE(t->clsId(), int64_t(-1));
    QCOMPARE(t->sepId(), int64_t(-1));
    QCOMPARE(t->maskId(), int64_t(-1));
    QCOMPARE(t->encode("ab A"), (Ids{0, 2, 0}));
    // Not in the vocabulary, so not special: split at the brackets like any text.
    QCOMPARE(t->encode("[b]"), (Ids{3, 1, 4}));
    QVERIFY(errorOf([&] { t->encode("a", true); }).contains("[CLS]"));
    const QString message = errorOf([&] { t->encode("c"); });
    QVERIFY2(message.contains("vocab.txt") && message.contains("[UNK]"), qPrintable(message));
}

void TestTokenizer::fromFolderPicksTokenizer_data()
{
    QTest::addColumn<bool>("withVocab");
    QTest::addColumn<bool>("withModel");
    QTest::addColumn<QString>("kind");
    QTest::newRow("vocab.txt only") << true << false << "wordpiece";
    QTest::newRow("*.model only") << false << true << "sentencepiece";
    QTest::newRow("both: vocab.txt wins") << true << true << "wordpiece";
}

void TestTokenizer::fromFolderPicksTokenizer()
{
    QFETCH(bool, withVocab);
    QFETCH(bool, withModel);
    QFETCH(QString, kind);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    if (withVocab)
        QVERIFY(QFile::copy(dataPath("vocab/vocab.txt"), dir.filePath("vocab.txt")));
    if (withModel)
        QVERIFY(QFile::copy(dataPath("tokenizer/tiny_sp.model"), dir.filePath("spiece.model")));
    writeFile(dir.filePath("config.json"), "{}"); // other files of a model folder are ignored

    const auto t = Tokenizer::fromFolder(dir.path().toStdString());
    QCOMPARE(QString::fromStdString(t->kind()), kind);
    QCOMPARE(t->vocabSize(), withVocab ? int64_t(12000) : int64_t(300));
}

void TestTokenizer::loadErrors_data()
{
    // setup writes into the temporary folder; load is what must fail; the message must contain name.
    QTest::addColumn<QByteArray>("setup");
    QTest::addColumn<QString>("load");
    QTest::addColumn<QString>("name");

    QTest::newRow("missing folder") << QByteArray() << "folder:no-such-model" << "no-such-model";
    QTest::newRow("file instead of folder") << QByteArray("config.json") << "folder:config.json" << "config.json";
    QTest::newRow("folder without tokenizer") << QByteArray("config.json") << "folder:" << "no tokenizer";
    QTest::newRow("two models") << QByteArray("a.model,b.model") << "folder:" << "a.model, b.model";
    QTest::newRow("empty vocab.txt") << QByteArray("vocab.txt=") << "folder:" << "vocab.txt";
    QTest::newRow("empty vocab file") << QByteArray("words.txt=") << "vocab:words.txt" << "words.txt";
    QTest::newRow("missing vocab file") << QByteArray() << "vocab:missing.txt" << "missing.txt";
    QTest::newRow("vocab not UTF-8") << QByteArray("latin1.txt=\xE9t\xE9\n") << "vocab:latin1.txt" << "latin1.txt: line 1";
    QTest::newRow("corrupt .model in folder") << QByteArray("broken.model=this is not a sentencepiece model\n") << "folder:"
                                              << "broken.model";
    QTest::newRow("empty .model") << QByteArray("empty.model=") << "sp:empty.model" << "empty.model";
    QTest::newRow("missing .model") << QByteArray() << "sp:gone.model" << "gone.model";
    QTest::newRow("vocab.txt given as model") << QByteArray("vocab.txt=[PAD]\n") << "sp:vocab.txt" << "vocab.txt";
}

void TestTokenizer::loadErrors()
{
    QFETCH(QByteArray, setup);
    QFETCH(QString, load);
    QFETCH(QString, name);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    for (const QByteArray &item : setup.split(',')) {
        if (item.isEmpty())
            continue;
        const int eq = item.indexOf('=');
        const QString file = QString::fromLatin1(eq < 0 ? item : item.left(eq));
        writeFile(dir.filePath(file), eq < 0 ? QByteArray("x") : item.mid(eq + 1));
    }
    const QString kind = load.section(QLatin1Char(':'), 0, 0);
    const std::string path = dir.filePath(load.section(QLatin1Char(':'), 1)).toStdString();

    const QString message = errorOf([&] {
        if (kind == QLatin1String("folder"))
            Tokenizer::fromFolder(path);
        else if (kind == QLatin1String("vocab"))
            Tokenizer::fromVocabFile(path);
        else
            Tokenizer::fromSentencePieceFile(path);
    });
    qDebug().noquote() << "  " << message;
    QVERIFY2(!message.isEmpty(), "no entroscope::Error thrown");
    QVERIFY2(message.contains(name), qPrintable(message));
    QVERIFY2(!message.contains(QLatin1Char('\n')), "the message must be one line");
}

// const members carry no mutable state: the same object may encode on several threads.
void TestTokenizer::concurrentEncode()
{
    const std::string text = "今天天气很好，我们去公园玩吧。The weather is nice today! ";
    std::string longText;
    for (int k = 0; k < 200; ++k)
        longText += text;
    const Ids expectedWp = m_wordPiece->encode(longText);
    const Ids expectedSp = m_sentencePiece->encode(longText);
    Ids wp[2], sp[2];
    std::thread a([&] { wp[0] = m_wordPiece->encode(longText); sp[0] = m_sentencePiece->encode(longText); });
    std::thread b([&] { wp[1] = m_wordPiece->encode(longText); sp[1] = m_sentencePiece->encode(longText); });
    a.join();
    b.join();
    QCOMPARE(wp[0], expectedWp);
    QCOMPARE(wp[1], expectedWp);
    QCOMPARE(sp[0], expectedSp);
    QCOMPARE(sp[1], expectedSp);
}

// Not a timed assertion (machines differ): the time goes to the log, the result is checked exactly.
void TestTokenizer::encodeOneMegabyte()
{
    // Whitespace separates the copies, so the ids of the whole are the copies' ids end to end.
    std::string unit;
    for (const QJsonValue &c : readJson("tokenizer/wordpiece_cases.json").array())
        unit += c[QLatin1String("text")].toString().toStdString() + "\n";
    const Ids unitIds = m_wordPiece->encode(unit);
    std::string text;
    size_t copies = 0;
    while (text.size() < 1000000) {
        text += unit;
        ++copies;
    }

    QElapsedTimer timer;
    timer.start();
    const Ids ids = m_wordPiece->encode(text);
    const qint64 wordPieceMs = timer.elapsed();
    timer.restart();
    const Ids spIds = m_sentencePiece->encode(text);
    const qint64 sentencePieceMs = timer.elapsed();
    qDebug().nospace() << "encode of " << text.size() << " bytes (" << copies
                       << " copies of the WordPiece cases): WordPiece " << wordPieceMs << " ms -> " << ids.size()
                       << " ids, SentencePiece " << sentencePieceMs << " ms -> " << spIds.size() << " ids";

    // The main use: Chinese running text, one id per character.
    const std::string sentence = "中华人民共和国成立于1949年10月1日，首都是北京。";
    std::string chinese;
    while (chinese.size() < 1000000)
        chinese += sentence;
    timer.restart();
    const Ids chineseIds = m_wordPiece->encode(chinese);
    qDebug().nospace() << "encode of " << chinese.size() << " bytes of Chinese: WordPiece " << timer.elapsed()
                       << " ms -> " << chineseIds.size() << " ids";
    QCOMPARE(chineseIds.size(), (chinese.size() / sentence.size()) * m_wordPiece->encode(sentence).size());

    QCOMPARE(ids.size(), copies * unitIds.size());
    for (size_t k = 0; k < copies; ++k) {
        if (!std::equal(unitIds.begin(), unitIds.end(), ids.begin() + static_cast<std::ptrdiff_t>(k * unitIds.size())))
            QFAIL(qPrintable(QStringLiteral("copy %1 encodes differently").arg(k)));
    }
}

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
