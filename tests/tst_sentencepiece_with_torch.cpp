// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
//
// Regression test for the protobuf clash: Debian's libsentencepiece embeds protobuf 3.14, LibTorch
// brings libprotobuf.so.32 (3.21). With both linked into one program it crashed before main or failed
// every model load. This program links LibTorch (libprotobuf first, like every executable of the
// project) and uses a tensor before the first SentencePiece model is loaded through the plugin.
#include "errors.h"
#include "text/tokenizer.h"

#include <ATen/ATen.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <link.h>

#include <cstring>
#include <functional>
#include <memory>
#include <vector>

using entroscope::Error;
using entroscope::Tokenizer;

namespace {

using Ids = std::vector<int64_t>;

const char *const kPluginEnv = "ENTROSCOPE_SENTENCEPIECE_PLUGIN";

QString dataPath(const QString &relative)
{
    return QStringLiteral(ENTROSCOPE_TEST_DATA "/") + relative;
}

// Whether a shared object whose path contains `name` is mapped into this process: the test must
// prove the clash set-up is real (LibTorch's protobuf there first, libsentencepiece not linked).
bool isLoaded(const char *name)
{
    struct Search
    {
        const char *name;
        bool found;
    } search{name, false};
    dl_iterate_phdr(
        [](dl_phdr_info *info, size_t, void *data) {
            auto *s = static_cast<Search *>(data);
            if (info->dlpi_name && std::strstr(info->dlpi_name, s->name))
                s->found = true;
            return 0;
        },
        &search);
    return search.found;
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

class TestSentencePieceWithTorch : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Order matters: the plugin stays loaded after the first successful model load, so the tests of
    // a missing plugin run before it.
    void initTestCase();
    void missingPluginIsAnError();
    void loadsModel();
    void cases_data();
    void cases();
    void idsMakeATensor();
    void corruptModelIsAnError();

private:
    std::unique_ptr<Tokenizer> m_tokenizer;
};

void TestSentencePieceWithTorch::initTestCase()
{
    // A real tensor operation, so that LibTorch is loaded and initialised, not only linked.
    const at::Tensor t = at::arange(6, at::kFloat).reshape({2, 3});
    QCOMPARE(t.sum().item<float>(), 15.0f);
    QVERIFY2(isLoaded("libtorch_cpu.so"), "LibTorch is not loaded: the test would not test the clash");
    QVERIFY2(isLoaded("libprotobuf.so.32"), "libprotobuf.so.32 is not loaded: the test would not test the clash");
    QVERIFY2(!isLoaded("libsentencepiece.so"), "libsentencepiece is linked into the test program");
}

void TestSentencePieceWithTorch::missingPluginIsAnError()
{
    const QByteArray saved = qgetenv(kPluginEnv);
    const bool wasSet = qEnvironmentVariableIsSet(kPluginEnv);
    const std::string model = dataPath("tokenizer/tiny_sp.model").toStdString();

    // The variable, when set, is the only place looked at: no silent fallback to the build tree.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString missing = dir.filePath("no-such-plugin.so");
    qputenv(kPluginEnv, missing.toUtf8());
    QString message = errorOf([&] { Tokenizer::fromSentencePieceFile(model); });
    QVERIFY2(message.contains("tiny_sp.model") && message.contains(missing) && message.contains(kPluginEnv),
             qPrintable(message));
    QVERIFY2(!message.contains(QLatin1Char('\n')), "the message must be one line");

    // A file that is not a shared object: dlopen's own text is in the message.
    qputenv(kPluginEnv, QFile::encodeName(dataPath("tokenizer/tiny_sp.model")));
    message = errorOf([&] { Tokenizer::fromSentencePieceFile(model); });
    QVERIFY2(message.startsWith(QString::fromStdString(model)) && message.contains("SentencePiece plugin")
                 && (message.contains("ELF") || message.contains("too short")),
             qPrintable(message));
    QVERIFY2(!message.contains(QLatin1Char('\n')), "the message must be one line");

    if (wasSet)
        qputenv(kPluginEnv, saved);
    else
        qunsetenv(kPluginEnv);
    QVERIFY(!isLoaded("libsentencepiece.so"));
}

void TestSentencePieceWithTorch::loadsModel()
{
    m_tokenizer = Tokenizer::fromSentencePieceFile(dataPath("tokenizer/tiny_sp.model").toStdString());
    QCOMPARE(QString::fromStdString(m_tokenizer->kind()), QStringLiteral("sentencepiece"));
    QCOMPARE(m_tokenizer->vocabSize(), int64_t(300));
    QCOMPARE(m_tokenizer->padId(), int64_t(0));
    QCOMPARE(m_tokenizer->unkId(), int64_t(1));
    QCOMPARE(m_tokenizer->clsId(), int64_t(2));
    QCOMPARE(m_tokenizer->sepId(), int64_t(3));
    QCOMPARE(m_tokenizer->maskId(), int64_t(4));
    QCOMPARE(m_tokenizer->tokenToId("\xE2\x96\x81the"), int64_t(8));
    QCOMPARE(m_tokenizer->tokenToId("no-such-piece"), int64_t(-1));
    QCOMPARE(QString::fromStdString(m_tokenizer->idToToken(4)), QStringLiteral("[MASK]"));
    // It came through the plugin, which is where libsentencepiece is now.
    QVERIFY(isLoaded("libentroscope_sentencepiece.so"));
    QVERIFY(isLoaded("libsentencepiece.so"));
}

void TestSentencePieceWithTorch::cases_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<Ids>("ids");
    QTest::addColumn<QStringList>("pieces");

    QFile file(dataPath("tokenizer/sentencepiece_cases.json"));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const QJsonObject fixture = QJsonDocument::fromJson(file.readAll()).object();
    const QJsonArray cases = fixture[QLatin1String("cases")].toArray();
    QVERIFY(cases.size() >= 10);
    int index = 0;
    for (const QJsonValue &c : cases) {
        Ids ids;
        for (const QJsonValue &v : c[QLatin1String("ids")].toArray())
            ids.push_back(v.toInteger());
        QStringList pieces;
        for (const QJsonValue &p : c[QLatin1String("pieces")].toArray())
            pieces << p.toString();
        QTest::newRow(QByteArray::number(index++).constData()) << c[QLatin1String("text")].toString() << ids << pieces;
    }
}

void TestSentencePieceWithTorch::cases()
{
    QFETCH(QString, text);
    QFETCH(Ids, ids);
    QFETCH(QStringList, pieces);
    QVERIFY(m_tokenizer);
    const std::string utf8 = text.toStdString();

    QCOMPARE(m_tokenizer->encode(utf8), ids);
    Ids withSpecial{m_tokenizer->clsId()};
    withSpecial.insert(withSpecial.end(), ids.begin(), ids.end());
    withSpecial.push_back(m_tokenizer->sepId());
    QCOMPARE(m_tokenizer->encode(utf8, true), withSpecial);

    QStringList got;
    for (const std::string &p : m_tokenizer->tokenize(utf8))
        got << QString::fromStdString(p);
    QCOMPARE(got, pieces);
}

// The way the engine uses the two together: ids from SentencePiece become a LibTorch tensor.
void TestSentencePieceWithTorch::idsMakeATensor()
{
    QVERIFY(m_tokenizer);
    const Ids ids = m_tokenizer->encode("the work and derivative works thereof", true);
    const at::Tensor tensor = at::tensor(at::ArrayRef<int64_t>(ids), at::kLong).unsqueeze(0);
    QCOMPARE(tensor.size(0), int64_t(1));
    QCOMPARE(tensor.size(1), int64_t(11));
    QCOMPARE(tensor[0][1].item<int64_t>(), int64_t(8)); // ▁the
    QCOMPARE(tensor.sum().item<int64_t>(), int64_t(2 + 8 + 91 + 19 + 101 + 52 + 53 + 91 + 7 + 190 + 3));
}

// Model parsing runs protobuf inside the plugin; a bad file must be an Error there as well.
void TestSentencePieceWithTorch::corruptModelIsAnError()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("broken.model");
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is not a sentencepiece model\n");
    file.close();
    const QString message = errorOf([&] { Tokenizer::fromSentencePieceFile(path.toStdString()); });
    QVERIFY2(message.contains("broken.model") && !message.contains(QLatin1Char('\n')), qPrintable(message));
}

QTEST_GUILESS_MAIN(TestSentencePieceWithTorch)
#include "tst_sentencepiece_with_torch.moc"
