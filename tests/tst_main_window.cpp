// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// MainWindow end to end on a fixture model: slider, shortcuts, methods, exports of every kind, sessions,
// and a broken checkpoint that must leave the current model in place.

#include "analysis_controller.h"
#include "attention_map_view.h"
#include "main_window.h"
#include "npy.h"
#include "plot_view.h"

#include <QApplication>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageBox>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace entroscope;

namespace {
const QString kNeko = QStringLiteral(ENTROSCOPE_TEST_DATA "/models/tiny-neko");
const QString kJunnyu = QStringLiteral(ENTROSCOPE_TEST_DATA "/models/tiny-junnyu");
const QString kText = QStringLiteral("今天天气很好，我要去公园玩。公园里有很多人，有的在跑步，有的在唱歌，还有的在湖边钓鱼。");

int stopIndex(int64_t n)
{
    const auto &s = AnalysisController::lengthStops();
    return int(std::find(s.begin(), s.end(), n) - s.begin());
}

QByteArray head(const QString &path, int bytes)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(bytes) : QByteArray();
}
} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        Q_INIT_RESOURCE(entroscope);
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_settingsDir.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
        QCoreApplication::setOrganizationName(QStringLiteral("EntroScope"));
        QCoreApplication::setApplicationName(QStringLiteral("EntroScopeTest"));
    }

    void endToEnd()
    {
        MainWindow w;
        w.controller()->setSweepMaxLength(256);
        w.show();
        SessionState s;
        s.modelDir = kNeko;
        s.text = kText;
        s.length = 32;
        s.method = QStringLiteral("native");
        s.compareMethods = {QStringLiteral("infoscale")};
        w.applyState(s);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(w.controller()->lastResult()->request.length, qint64(32));
        QCOMPARE(w.controller()->layerCount(), 3);

        // The slider moves to a stop; the debounced request follows.
        w.lengthSlider()->setValue(stopIndex(64));
        QCOMPARE(w.lengthSpin()->value(), 64);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 64, 30000);
        auto *map = qobject_cast<AttentionMapView *>(w.view(MainWindow::AttentionTab));
        QVERIFY(map);
        QCOMPARE(map->map().rows, 64);

        // Ctrl+Right: next stop (96); Ctrl+Up: next layer.
        QTest::keyClick(&w, Qt::Key_Right, Qt::ControlModifier);
        QCOMPARE(w.length(), qint64(96));
        QTest::keyClick(&w, Qt::Key_Up, Qt::ControlModifier);
        QCOMPARE(w.layer(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 96, 30000);
        QCOMPARE(map->map().layer, 1);

        // Switch the method (preset and via the shortcut).
        w.setMethod(QStringLiteral("log-n"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) == "log-n", 30000);
        QCOMPARE(w.controller()->lastResult()->labels.value(1), QStringLiteral("infoscale"));
        QTest::keyClick(&w, Qt::Key_BracketRight, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) == "infoscale", 30000);
        QCOMPARE(w.method(), QStringLiteral("infoscale"));
        w.setMethod(QStringLiteral("native"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) == "native", 30000);
        QVERIFY(!w.controller()->lastResult()->jsPerLayer.empty());

        // Exports of the current state.
        QTemporaryDir out;
        QVERIFY(out.isValid());
        for (int v = 0; v < MainWindow::ViewCount; ++v) {
            const QString base = out.filePath(MainWindow::viewName(v));
            QString error;
            QVERIFY2(w.exportView(v, base + ".png", &error), qPrintable(error));
            QImage png(base + ".png");
            QVERIFY(!png.isNull());
            QVERIFY(png.width() >= 400);
            QVERIFY2(w.exportView(v, base + ".svg", &error), qPrintable(error));
            QVERIFY(head(base + ".svg", 400).contains("<svg") || head(base + ".svg", 100).startsWith("<?xml"));
            QVERIFY2(w.exportView(v, base + ".pdf", &error), qPrintable(error));
            QVERIFY(head(base + ".pdf", 5).startsWith("%PDF"));
            QVERIFY2(w.exportView(v, base + ".csv", &error), qPrintable(error));
            const QByteArray csv = head(base + ".csv", 1 << 20);
            QVERIFY(csv.count('\n') >= 2);
            QVERIFY2(w.exportView(v, base + ".json", &error), qPrintable(error));
            QFile jf(base + ".json");
            QVERIFY(jf.open(QIODevice::ReadOnly));
            const QJsonDocument doc = QJsonDocument::fromJson(jf.readAll());
            QVERIFY(doc.isObject() && !doc.object().isEmpty());
        }
        QString error;
        QVERIFY2(w.exportView(MainWindow::AttentionTab, out.filePath("map.npy"), &error), qPrintable(error));
        const NpyArray npy = readNpy(out.filePath("map.npy").toStdString());
        QCOMPARE(npy.shape, (std::vector<int64_t>{96, 96}));
        double rowSum = 0;
        for (int c = 0; c < 96; ++c)
            rowSum += npy.values[size_t(c)];
        QVERIFY(std::fabs(rowSum - 1.0) < 1e-4);
        QVERIFY(!w.exportView(MainWindow::AttentionTab, out.filePath("x.bmp"), &error));

        QVERIFY2(w.exportReport(out.filePath("report"), &error), qPrintable(error));
        QVERIFY(QFile::exists(out.filePath("report/settings.json")));
        for (int v = 0; v < MainWindow::ViewCount; ++v)
            QVERIFY(QFile::exists(out.filePath(QStringLiteral("report/%1-%2.png").arg(v + 1).arg(MainWindow::viewName(v)))));
        QVERIFY(QFile::exists(out.filePath("report/attention_layer1.npy")));

        // Session round trip.
        w.setCurrentView(MainWindow::EntropyTab);
        const SessionState saved = w.state();
        QVERIFY(w.saveSession(out.filePath("s.entroscope"), &error));
        w.setLength(128);
        w.setLayer(2);
        w.setMethod(QStringLiteral("alibi"));
        w.setCurrentView(MainWindow::LayersTab);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QVERIFY(w.state() != saved);
        QVERIFY2(w.openSession(out.filePath("s.entroscope"), &error), qPrintable(error));
        QCOMPARE(w.state(), saved);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 96, 30000);
        QCOMPARE(w.controller()->lastResult()->labels.value(0), QStringLiteral("native"));

        // A session on another model loads that model first.
        SessionState other = saved;
        other.modelDir = kJunnyu;
        other.layer = 2;
        w.applyState(other);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->modelDir().endsWith("tiny-junnyu"), 30000);
        QCOMPARE(w.layer(), 2);
    }

    void brokenCheckpointKeepsModel()
    {
        MainWindow w;
        w.controller()->setBackgroundEnabled(false);
        w.show();
        SessionState s;
        s.modelDir = kNeko;
        s.text = kText;
        s.length = 48;
        w.applyState(s);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        w.openModel(QStringLiteral(ENTROSCOPE_TEST_DATA "/bad/nan-weights"));
        QTRY_VERIFY_WITH_TIMEOUT(!w.lastError().isEmpty(), 30000);
        QVERIFY(w.lastError().contains(QLatin1String("nan-weights")) || w.lastError().contains(QLatin1String("finite"))
                || w.lastError().contains(QLatin1String("NaN"), Qt::CaseInsensitive));
        auto *box = w.findChild<QMessageBox *>(QStringLiteral("errorDialog"));
        QVERIFY(box);
        QTRY_VERIFY(box->isVisible());
        box->close();
        QVERIFY(w.controller()->modelDir().endsWith(QLatin1String("tiny-neko")));
        // The window still works on the old model.
        w.setLength(64);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 64, 30000);
    }

    void settingsStayInTestLocation()
    {
        QSettings settings;
        QVERIFY(settings.fileName().startsWith(m_settingsDir.path()));
    }

private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
