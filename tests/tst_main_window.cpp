// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// MainWindow end to end on a fixture model: slider, shortcuts, methods, exports of every kind, sessions,
// and a broken checkpoint that must leave the current model in place.

#include "analysis_controller.h"
#include "attention_map_view.h"
#include "compare_view.h"
#include "entropy_view.h"
#include "main_window.h"
#include "io/npy.h"
#include "plot_view.h"
#include "qcustomplot_compat.h"
#include "session_state.h"
#include "token_inspector_view.h"

#include <QApplication>
#include <csignal>
#include <sys/resource.h>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QDialogButtonBox>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QGroupBox>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <cmath>

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
/// A window on tiny-neko with kText at `length`, no compared methods and no background sweep, idle.
void startOnNeko(MainWindow &w, qint64 length)
{
    w.controller()->setBackgroundEnabled(false);
    w.show();
    SessionState s;
    s.modelDir = kNeko;
    s.text = kText;
    s.length = length;
    s.compareMethods = {};
    w.applyState(s);
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
        QTest::keyClick(&w, Qt::Key_BracketRight, Qt::ControlModifier); // the next preset of the table
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) == "logn", 30000);
        QCOMPARE(w.method(), QStringLiteral("logn"));
        w.setMethod(QStringLiteral("native"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) == "native", 30000);
        QVERIFY(!w.controller()->lastResult()->jsPerLayer.empty());

        // A click on a query row of the map opens that token's attention row in the token inspector.
        {
            w.setCurrentView(MainWindow::AttentionTab);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
            QCustomPlot *mapPlot = w.view(MainWindow::AttentionTab)->plot();
            const QPoint at(int(mapPlot->xAxis->coordToPixel(10)), int(mapPlot->yAxis->coordToPixel(20)));
            QTest::mouseClick(mapPlot, Qt::LeftButton, Qt::NoModifier, at);
            QCOMPARE(w.inspectedQuery(), int64_t{20});
            QCOMPARE(w.currentViewIndex(), int(MainWindow::TokenTab));
            auto *inspector = qobject_cast<TokenInspectorView *>(w.view(MainWindow::TokenTab));
            QVERIFY(inspector && !inspector->isEmptyState());
            QCOMPARE(inspector->query(), int64_t{20});
            const AttentionMap &m = map->map();
            QCOMPARE(inspector->weights(), std::vector<float>(m.data.begin() + 20 * m.cols, m.data.begin() + 21 * m.cols));
        }

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
            // Every export says what produced it (model, resolved method, n, T, fill, layer, version).
            const QString description = png.text(QStringLiteral("Description"));
            QVERIFY2(description.contains(QLatin1String("tiny-neko")) && description.contains(QLatin1String("n = 96"))
                         && description.contains(QLatin1String("cosscale:8")) && description.contains(QLatin1String("fill tile")),
                     qPrintable(description));
            QVERIFY2(w.exportView(v, base + ".svg", &error), qPrintable(error));
            QVERIFY(head(base + ".svg", 400).contains("<svg") || head(base + ".svg", 100).startsWith("<?xml"));
            QVERIFY2(w.exportView(v, base + ".pdf", &error), qPrintable(error));
            QVERIFY(head(base + ".pdf", 5).startsWith("%PDF"));
            QVERIFY2(w.exportView(v, base + ".csv", &error), qPrintable(error));
            const QByteArray csv = head(base + ".csv", 1 << 20);
            QVERIFY(csv.count('\n') >= 2);
            QVERIFY2(csv.startsWith("# entroscope_version: ") && csv.contains("# model: ") && csv.contains("\"qk\":\"cosscale:8\""),
                     csv.left(400).constData());
            QVERIFY2(w.exportView(v, base + ".json", &error), qPrintable(error));
            QFile jf(base + ".json");
            QVERIFY(jf.open(QIODevice::ReadOnly));
            const QJsonDocument doc = QJsonDocument::fromJson(jf.readAll());
            QVERIFY(doc.isObject() && !doc.object().isEmpty());
            const QJsonObject prov = doc.object()["provenance"].toObject();
            QCOMPARE(prov["length"].toInt(), 96);
            QCOMPARE(prov["fill"].toString(), QStringLiteral("tile"));
            QCOMPARE(prov["layer"].toInt(), w.layer());
            QCOMPARE(prov["methods"].toArray()[0].toObject()["qk"].toString(), QStringLiteral("cosscale:8"));
        }
        QString error;
        QVERIFY2(w.exportView(MainWindow::AttentionTab, out.filePath("map.npy"), &error), qPrintable(error));
        const NpyArray npy = readNpy(out.filePath("map.npy").toStdString());
        QCOMPARE(npy.shape, (std::vector<int64_t>{96, 96}));
        {
            QFile side(out.filePath("map.npy.json"));
            QVERIFY(side.open(QIODevice::ReadOnly));
            const QJsonObject sj = QJsonDocument::fromJson(side.readAll()).object();
            QCOMPARE(sj["array"].toObject()["shape"].toArray()[0].toInt(), 96);
            QVERIFY(sj["model"].toString().endsWith(QLatin1String("tiny-neko")));
        }
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

    void compareViewDrawsOnlyWhenShown()
    {
        MainWindow w;
        w.controller()->setBackgroundEnabled(false);
        w.show();
        w.setCurrentView(0);
        SessionState s;
        s.modelDir = kNeko;
        s.text = kText;
        s.length = 40;
        s.method = QStringLiteral("native");
        s.compareMethods = {QStringLiteral("infoscale")};
        w.applyState(s);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *compare = qobject_cast<CompareView *>(w.view(5));
        QVERIFY(compare);
        QCOMPARE(compare->mapCount(), 0); // not drawn while another tab is shown
        // Every hidden view takes the result when it is shown, not with every result.
        auto *entropy = qobject_cast<EntropyView *>(w.view(MainWindow::EntropyTab));
        QVERIFY(entropy);
        QCOMPARE(entropy->queryGraph()->dataCount(), 0);
        w.setCurrentView(MainWindow::EntropyTab);
        QCOMPARE(entropy->queryGraph()->dataCount(), 40);
        w.setCurrentView(5);
        QCOMPARE(compare->mapCount(), 2);
        // An export of the compare view draws it first, whichever tab is shown.
        w.setCurrentView(0);
        w.lengthSlider()->setValue(w.lengthSlider()->value() + 1);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length != 40, 30000);
        QTemporaryDir tmp;
        QString error;
        QVERIFY2(w.exportView(5, tmp.path() + "/compare.json", &error), qPrintable(error));
        QVERIFY(QFile(tmp.path() + "/compare.json").size() > 0);
        QCOMPARE(compare->mapCount(), 2);
        // ... and so does every other view: the entropy view shows the new length, never shown since.
        QCOMPARE(entropy->queryGraph()->dataCount(), w.controller()->lastResult()->request.length);
    }

    void inputGuardsAndCompareLimit()
    {
        MainWindow w;
        startOnNeko(w, 128);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *label = w.findChild<QLabel *>(QStringLiteral("tokenLabel"));
        QVERIFY(label);
        // The tiling factor is stated (the text has fewer than 128 tokens).
        QVERIFY2(label->text().contains(QString::fromUtf8("tiled ×")), qPrintable(label->text()));
        QVERIFY(!label->text().contains(QLatin1String("[UNK]")));
        // English under tiny-neko's character vocabulary: mostly [UNK], said and flagged.
        w.setText(QString::fromUtf8("გამარჯობა სამყარო ნამასკარამ ஆஅஇஈ ᚠᚢᚦᚨᚱ"));
        QVERIFY2(label->text().contains(QLatin1String("% [UNK]")), qPrintable(label->text()));
        QVERIFY(label->styleSheet().contains(QLatin1String("bold")));
        // The demo texts the tokenizer does not cover are listed but disabled, with the reason: the bundled
        // English demo model does not cover the Chinese demo text.
        w.openModel(QStringLiteral(ENTROSCOPE_TEST_DATA "/../../resources/models/demo-softmax"));
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->modelDir().endsWith(QLatin1String("demo-softmax")) && w.isIdle(), 30000);
        auto *demo = w.findChild<QComboBox *>(QStringLiteral("demoTextCombo"));
        QVERIFY(demo);
        auto *model = qobject_cast<QStandardItemModel *>(demo->model());
        QVERIFY(model);
        int zh = -1, en = -1;
        for (int i = 1; i < demo->count(); ++i)
            (demo->itemText(i).startsWith(QLatin1String("zh")) ? zh : en) = i;
        QVERIFY(zh > 0 && en > 0);
        QVERIFY(model->item(en)->isEnabled());
        QVERIFY(!model->item(zh)->isEnabled());
        QVERIFY(demo->itemData(zh, Qt::ToolTipRole).toString().contains(QLatin1String("[UNK]")));
        w.openModel(kNeko);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->modelDir().endsWith(QLatin1String("tiny-neko")) && w.isIdle(), 30000);
        QVERIFY(model->item(zh)->isEnabled());

        // Fill concat: the lines are documents, one after the other; fewer than n tokens is flagged.
        auto *fill = w.findChild<QComboBox *>(QStringLiteral("fillCombo"));
        QVERIFY(fill && fill->findText(QStringLiteral("concat")) >= 0);
        w.setText(kText + QLatin1Char('\n') + kText + QLatin1Char('\n') + kText);
        fill->setCurrentText(QStringLiteral("concat"));
        w.setLength(96);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 96, 30000);
        QCOMPARE(w.controller()->lastResult()->request.fill, QStringLiteral("concat"));
        w.setLength(512);
        QVERIFY2(label->text().contains(QLatin1String("fewer than n")), qPrintable(label->text()));
        fill->setCurrentText(QStringLiteral("tile"));
        w.setLength(64);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 64, 30000);

        // At most three compared methods: a fourth tick is refused, not dropped silently.
        auto *list = w.findChild<QListWidget *>(QStringLiteral("compareList"));
        QVERIFY(list);
        for (int i = 1; i <= 4; ++i)
            list->item(i)->setCheckState(Qt::Checked);
        QCOMPARE(list->item(4)->checkState(), Qt::Unchecked);
        QCOMPARE(w.compareMethods().size(), 3);
        QVERIFY(w.statusBar()->currentMessage().contains(QLatin1String("At most 3")));
        list->item(3)->setCheckState(Qt::Unchecked);
        // The method being edited (three axes) can be added to the list.
        w.setMethod(QStringLiteral("softmax,plain,window:5"));
        w.findChild<QPushButton *>(QStringLiteral("addCompareButton"))->click();
        const auto found = list->findItems(QStringLiteral("softmax,plain,window:5"), Qt::MatchExactly);
        QCOMPARE(found.size(), 1);
        QCOMPARE(found[0]->checkState(), Qt::Checked);

        // The formula panel states the active τ at the current n, and flags a method the checkpoint was not
        // trained with (tiny-neko is a CosScale checkpoint: softmax,plain,... removes CosScale).
        auto *formula = w.findChild<QLabel *>(QStringLiteral("formulaLabel"));
        QVERIFY(formula);
        w.setMethod(QStringLiteral("infoscale"));
        w.setLength(128);
        QVERIFY2(formula->text().contains(QLatin1String("at n = 128")), qPrintable(formula->text()));
        QVERIFY(!formula->text().contains(QLatin1String("removes CosScale")));
        w.setMethod(QStringLiteral("softmax,plain,rope"));
        QVERIFY2(formula->text().contains(QLatin1String("removes CosScale")), qPrintable(formula->text()));

        // The difference and JS can be taken against any compared method, not only the first.
        {
            for (int i = 0; i < list->count(); ++i)
                list->item(i)->setCheckState(Qt::Unchecked);
            w.setMethod(QStringLiteral("native"));
            list->findItems(QStringLiteral("infoscale"), Qt::MatchExactly)[0]->setCheckState(Qt::Checked);
            list->findItems(QStringLiteral("window"), Qt::MatchExactly)[0]->setCheckState(Qt::Checked);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.size() == 3, 30000);
            QCOMPARE(w.controller()->lastResult()->labels.value(1), QStringLiteral("infoscale"));
            auto *ref = w.findChild<QComboBox *>(QStringLiteral("referenceCombo"));
            QVERIFY(ref && ref->isEnabled() && ref->count() == 2);
            ref->setCurrentText(QStringLiteral("window"));
            Q_EMIT ref->activated(ref->currentIndex());
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(1) == "window", 30000);
            QCOMPARE(w.controller()->lastResult()->labels.value(2), QStringLiteral("infoscale"));
            QVERIFY(!w.controller()->lastResult()->jsPerLayer.empty());
            // Sessions keep the chosen reference.
            const SessionState saved = w.state();
            QCOMPARE(saved.compareReference, QStringLiteral("window"));
            SessionState back;
            QVERIFY(SessionState::fromJson(saved.toJson(), &back));
            QCOMPARE(back, saved);
            SessionState other = saved;
            other.compareReference = QStringLiteral("infoscale");
            w.applyState(other);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(1) == "infoscale", 30000);
            QCOMPARE(ref->currentText(), QStringLiteral("infoscale"));
            list->findItems(QStringLiteral("infoscale"), Qt::MatchExactly)[0]->setCheckState(Qt::Unchecked);
            list->findItems(QStringLiteral("window"), Qt::MatchExactly)[0]->setCheckState(Qt::Unchecked);
        }

        // The key count (--key-count visible) is part of the method string and shown in the editor.
        found[0]->setCheckState(Qt::Unchecked);
        w.setMethod(QStringLiteral("infoscale,plain,window:5,visible"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->results[0]->method.keyCount == "visible",
                                 30000);
        auto *visible = w.findChild<QCheckBox *>(QStringLiteral("visibleKeysCheck"));
        QVERIFY(visible && visible->isChecked());
        visible->setChecked(false);
        QVERIFY(!w.method().contains(QLatin1String("visible")));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->results[0]->method.keyCount.empty(), 30000);
    }

    void resourceLimitsKeepTheState()
    {
        MainWindow w;
        startOnNeko(w, 32);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        const QString text = w.text();
        QTemporaryDir tmp;
        auto closeErrorDialog = [&] {
            auto *box = w.findChild<QMessageBox *>(QStringLiteral("errorDialog"));
            QVERIFY(box);
            QVERIFY2(!box->text().isEmpty(), "an empty error");
            box->close();
            QTRY_VERIFY(!w.findChild<QMessageBox *>(QStringLiteral("errorDialog")) || !w.findChild<QMessageBox *>(QStringLiteral("errorDialog"))->isVisible());
            w.clearLastError();
        };

        // A text of 100 MB: one clear error, the text in the editor kept.
        const QString big = tmp.filePath(QStringLiteral("big.txt"));
        {
            QFile f(big);
            QVERIFY(f.open(QIODevice::WriteOnly) && f.resize(qint64(100) << 20));
        }
        w.loadTextFile(big);
        QVERIFY2(w.lastError().contains(QLatin1String("100.0 MiB")) && w.lastError().contains(QLatin1String("big.txt")),
                 qPrintable(w.lastError()));
        closeErrorDialog();
        QCOMPARE(w.text(), text);

        // The longest length the controls take (2^20) fits tiny-neko's memory (rows are streamed), so it
        // computes for long: a cancel brings back what the views showed. (A length that cannot fit is refused
        // by the engine's memory guard before anything is allocated: tst_cli "length absurd".)
        w.setLength(kMaxTypedLength);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->isBusy(), 10000);
        w.controller()->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(w.controller()->lastResult()->request.length, qint64(32));
        QCOMPARE(w.length(), qint64(32));

        // Exports where the file cannot be made: a folder under a regular file.
        QString error;
        const QString file = tmp.filePath(QStringLiteral("a-file"));
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly) && f.write("x") == 1);
        }
        for (const char *ext : {"png", "svg", "pdf", "csv", "json", "npy"}) {
            error.clear();
            QVERIFY2(!w.exportView(0, file + QStringLiteral("/map.") + QLatin1String(ext), &error), ext);
            QVERIFY2(error.contains(QLatin1String("a-file")), qPrintable(error));
        }
        QVERIFY(!w.exportReport(file + QStringLiteral("/report"), &error));

        // A disk that fills up (RLIMIT_FSIZE: writes past 64 KiB fail with EFBIG): the export fails, the file
        // already at the path keeps its bytes, no partial file is left, a new report folder is removed again.
        const QString png = tmp.filePath(QStringLiteral("map.png"));
        const QString npy = tmp.filePath(QStringLiteral("map.npy"));
        QVERIFY(w.exportView(0, png, &error) && w.exportView(0, npy, &error));
        const QByteArray pngBefore = head(png, 1 << 30), npyBefore = head(npy, 1 << 30);
        QVERIFY(pngBefore.size() > (64 << 10));
        w.setLength(128); // a map of 64 KiB and more
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 128, 30000);
        struct rlimit old {};
        QCOMPARE(getrlimit(RLIMIT_FSIZE, &old), 0);
        const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        struct rlimit small = old;
        small.rlim_cur = 64 << 10;
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
        const bool pngOk = w.exportView(0, png, &error);
        const bool npyOk = w.exportView(0, npy, &error);
        const bool reportOk = w.exportReport(tmp.filePath(QStringLiteral("report")), &error);
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &old), 0);
        std::signal(SIGXFSZ, oldHandler);
        QVERIFY(!pngOk && !npyOk && !reportOk);
        QCOMPARE(head(png, 1 << 30), pngBefore);
        QCOMPARE(head(npy, 1 << 30), npyBefore);
        QVERIFY(!QFileInfo::exists(npy + QStringLiteral(".partial")));
        QVERIFY(!QFileInfo::exists(tmp.filePath(QStringLiteral("report"))));
        const QStringList left = QDir(tmp.path()).entryList(QDir::Files | QDir::Hidden);
        for (const QString &f : left)
            QVERIFY2(!f.contains(QLatin1String("partial")) && !f.startsWith(QLatin1String("map.png.")), qPrintable(f));
        QVERIFY(w.lastError().isEmpty()); // the window itself reported nothing: the caller shows the export error
        QVERIFY(w.isIdle());
    }

    void methodControlsOnA1280x720Screen()
    {
        // At 1280×720 the preset and the three axes are on screen without scrolling the controls dock.
        MainWindow w;
        w.controller()->setBackgroundEnabled(false);
        w.resize(1280, 720);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.size(), QSize(1280, 720));
        auto *scroll = w.findChild<QScrollArea *>(QStringLiteral("controlsScroll"));
        QVERIFY(scroll);
        QCOMPARE(scroll->verticalScrollBar()->value(), 0);
        for (const char *name : {"presetCombo", "temperatureCombo", "qkCombo", "positionCombo"}) {
            auto *combo = w.findChild<QComboBox *>(QLatin1String(name));
            QVERIFY2(combo, name);
            const QPoint bottom = combo->mapTo(scroll->viewport(), QPoint(0, combo->height()));
            QVERIFY2(bottom.y() <= scroll->viewport()->height(),
                     qPrintable(QStringLiteral("%1 ends at %2 of %3").arg(name).arg(bottom.y()).arg(scroll->viewport()->height())));
        }
    }

    void controlsShowTheSessionModel()
    {
        // The window holds one SessionState; every control shows its field, and a change made on a control
        // (keyboard, mouse) goes into it. Requests, undo and sessions read it, not the widgets.
        MainWindow w;
        startOnNeko(w, 32);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        SessionState s = w.state();
        s.length = 40; // between two slider stops (32, 48)
        s.fill = QStringLiteral("truncate");
        s.method = QStringLiteral("logn");
        s.compareMethods = {QStringLiteral("infoscale"), QStringLiteral("alibi")};
        s.compareReference = QStringLiteral("alibi");
        s.trainLength = 32;
        s.layer = 2;
        s.view = MainWindow::EntropyTab;
        s.logScale = true;
        s.inspectQuery = 5;
        w.applyState(s);
        QTRY_VERIFY2_WITH_TIMEOUT(w.isIdle(), qPrintable(w.lastError()), 30000);
        QCOMPARE(w.state(), s);
        auto *fill = w.findChild<QComboBox *>(QStringLiteral("fillCombo"));
        auto *train = w.findChild<QSpinBox *>(QStringLiteral("trainSpin"));
        auto *layer = w.findChild<QSpinBox *>(QStringLiteral("layerSpin"));
        auto *list = w.findChild<QListWidget *>(QStringLiteral("compareList"));
        auto *reference = w.findChild<QComboBox *>(QStringLiteral("referenceCombo"));
        auto *logCheck = w.findChild<QCheckBox *>(QStringLiteral("logCheck"));
        auto *logAction = w.findChild<QAction *>(QStringLiteral("logAction"));
        QVERIFY(fill && train && layer && list && reference && logCheck && logAction);
        QCOMPARE(w.lengthSpin()->value(), 40);
        QCOMPARE(w.lengthSlider()->value(), AnalysisController::nearestStopIndex(40));
        QCOMPARE(fill->currentText(), QStringLiteral("truncate"));
        QCOMPARE(train->value(), 32);
        QCOMPARE(w.presetCombo()->currentData().toString(), QStringLiteral("logn"));
        QCOMPARE(layer->value(), 2);
        QCOMPARE(w.currentViewIndex(), int(MainWindow::EntropyTab));
        QVERIFY(logCheck->isChecked() && logAction->isChecked());
        for (int i = 0; i < list->count(); ++i)
            QCOMPARE(list->item(i)->checkState() == Qt::Checked, s.compareMethods.contains(list->item(i)->text()));
        QCOMPARE(reference->currentText(), QStringLiteral("alibi"));
        // What was computed is what the state says: the reference goes second.
        const auto res = w.controller()->lastResult();
        QCOMPARE(res->request.length, qint64(40));
        QCOMPARE(res->request.fill, QStringLiteral("truncate"));
        QCOMPARE(res->request.trainLength, qint64(32));
        QCOMPARE(res->labels.value(1), QStringLiteral("alibi"));

        // Keyboard and mouse on the controls change the state, field by field.
        layer->setFocus();
        QTest::keyClick(layer, Qt::Key_Down);
        QCOMPARE(w.state().layer, 1);
        w.lengthSpin()->selectAll();
        QTest::keyClicks(w.lengthSpin(), QStringLiteral("42"));
        QTest::keyClick(w.lengthSpin(), Qt::Key_Return);
        QCOMPARE(w.state().length, qint64(42));
        QCOMPARE(w.lengthSlider()->value(), AnalysisController::nearestStopIndex(42));
        QTest::mouseClick(logCheck, Qt::LeftButton, Qt::NoModifier, QPoint(6, logCheck->height() / 2));
        QVERIFY(!w.state().logScale);
        QVERIFY(!logAction->isChecked()); // the View menu's entry shows the same field
        logAction->trigger();
        QVERIFY(w.state().logScale && logCheck->isChecked());
        list->findItems(QStringLiteral("alibi"), Qt::MatchExactly).value(0)->setCheckState(Qt::Unchecked);
        QCOMPARE(w.state().compareMethods, QStringList{QStringLiteral("infoscale")});
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(w.state().compareReference, QStringLiteral("infoscale")); // the reference left: the first
        QCOMPARE(w.controller()->lastResult()->request.length, qint64(42));

        // A ticked method made primary is not compared with itself, and is again once it is not primary.
        w.setMethod(QStringLiteral("infoscale"));
        QVERIFY(w.compareMethods().isEmpty());
        QCOMPARE(w.state().compareMethods, QStringList{QStringLiteral("infoscale")});
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(w.controller()->lastResult()->labels.size(), 1);
        w.setMethod(QStringLiteral("native"));
        QCOMPARE(w.compareMethods(), QStringList{QStringLiteral("infoscale")});
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(w.controller()->lastResult()->labels.size(), 2);

        // Undo puts an earlier state back on every control.
        w.undo();
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(w.presetCombo()->currentData().toString(), QStringLiteral("infoscale"));
        QCOMPARE(w.state().method, QStringLiteral("infoscale"));
        QCOMPARE(layer->value(), w.state().layer);
        QCOMPARE(w.lengthSpin()->value(), int(w.state().length));
    }

    void walkthroughDefects()
    {
        MainWindow w;
        startOnNeko(w, 32);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        // Typed lengths past the last slider stop are taken whole (not cut to their first digits).
        QSpinBox *spin = w.lengthSpin();
        spin->selectAll();
        QTest::keyClicks(spin, QStringLiteral("20000"));
        QTest::keyClick(spin, Qt::Key_Return);
        QCOMPARE(spin->value(), 20000);
        QVERIFY(spin->toolTip().contains(QString::number(kMaxTypedLength)));
        // Cancel: the controls go back to the length the views show.
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->isBusy(), 5000);
        w.controller()->cancel();
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(spin->value(), 32, 5000);
        // The shortcut list comes from the menus: Ctrl+Up is the next layer (up), Ctrl+Down the previous.
        bool up = false, down = false;
        for (const auto &[action, keys] : w.shortcutList()) {
            up |= action.contains(QLatin1String("Layer up")) && keys.contains(QLatin1String("Ctrl+Up"));
            down |= action.contains(QLatin1String("Layer down")) && keys.contains(QLatin1String("Ctrl+Down"));
        }
        QVERIFY(up && down);
        // The View menu uses the tab titles.
        QStringList viewItems;
        for (QAction *m : w.menuBar()->actions())
            if (m->text().remove('&') == QLatin1String("View"))
                for (QAction *a : m->menu()->actions())
                    viewItems << a->text();
        QVERIFY2(viewItems.contains(QStringLiteral("Attention map")), qPrintable(viewItems.join('|')));
        QVERIFY(!viewItems.contains(QStringLiteral("attention-map")));
        // Undo / redo walk back and forth through the states that were computed.
        w.setLength(40);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 40, 30000);
        w.setMethod(QStringLiteral("logn"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) == "logn", 30000);
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) != "logn", 30000);
        QCOMPARE(w.length(), qint64(40));
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 32, 30000);
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->labels.value(0) == "logn", 30000);
        QCOMPARE(w.length(), qint64(40));

        // A method with two parameters does not widen the controls past the dock (no horizontal scrolling).
        w.setMethod(QStringLiteral("streamingllm"));
        QApplication::processEvents();
        auto *scroll = w.findChild<QScrollArea *>(QStringLiteral("controlsScroll"));
        QVERIFY(scroll);
        if (scroll->widget()->width() > scroll->viewport()->width()) {
            QString widest;
            int best = 0;
            for (QWidget *c : scroll->widget()->findChildren<QWidget *>())
                if (c->isVisible() && !qobject_cast<QGroupBox *>(c) && c->minimumSizeHint().width() > best) {
                    best = c->minimumSizeHint().width();
                    widest = c->metaObject()->className() + QStringLiteral(" ") + c->objectName() + QStringLiteral(" ")
                             + (qobject_cast<QGroupBox *>(c) ? qobject_cast<QGroupBox *>(c)->title() : QString());
                }
            QFAIL(qPrintable(QString("panel %1 > viewport %2; widest child %3 (%4)")
                                 .arg(scroll->widget()->width()).arg(scroll->viewport()->width()).arg(widest).arg(best)));
        }

        // Saving a session says so and names it in the title.
        QTemporaryDir tmp;
        QString error;
        QVERIFY(w.saveSession(tmp.path() + "/walk.entroscope", &error));
        QVERIFY(w.windowTitle().contains(QLatin1String("walk.entroscope")));
        QVERIFY(w.statusBar()->currentMessage().contains(QLatin1String("Session saved")));
    }

    void sessionOptionOpensTheSession_data()
    {
        QTest::addColumn<QStringList>("form");
        QTest::newRow("--session FILE") << QStringList{"--session", "%1"};
        QTest::newRow("--session=FILE") << QStringList{"--session=%1"};
        QTest::newRow("-session FILE") << QStringList{"-session", "%1"};
    }
    void sessionOptionOpensTheSession()
    {
        // Qt's session management takes -session/--session before the application's parser: the window
        // must still open the given file, not the last auto-saved state.
        QFETCH(QStringList, form);
        QTemporaryDir tmp;
        SessionState s;
        s.modelDir = kNeko;
        s.text = kText;
        s.length = 48;
        s.method = QStringLiteral("window");
        s.compareMethods = {};
        s.fill = QStringLiteral("concat"); // sessions keep every fill mode and the inspected token
        s.text = kText + QLatin1Char('\n') + kText;
        s.inspectQuery = 7;
        const QString file = tmp.path() + "/mine.entroscope";
        QVERIFY(s.save(file));
        QStringList args;
        for (const QString &f : form)
            args << f.arg(file);
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), tmp.path() + "/config");
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(ENTROSCOPE_GUI_PATH), args + QStringList{"--sweep-max", "64", "--screenshot", tmp.path() + "/shots"});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        SessionState shown;
        QVERIFY(SessionState::load(tmp.path() + "/shots/session.entroscope", &shown));
        QCOMPARE(shown.length, qint64(48));
        QCOMPARE(shown.method, QStringLiteral("window"));
        QVERIFY(shown.modelDir.endsWith(QLatin1String("tiny-neko")));
        QCOMPARE(shown.fill, QStringLiteral("concat"));
        QCOMPARE(shown.inspectQuery, qint64(7));
    }

    void controlsChangedWhileAModelLoads()
    {
        // Found by the soak test: a method chosen while a model loads gave "Analysis failed: a model is being
        // loaded". The change now waits for the model and is then computed.
        MainWindow w;
        startOnNeko(w, 32);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        // The load waits behind a running computation (here a very long one; in the soak test the background
        // sweep), and a cached length is requested at once (no debounce) meanwhile.
        w.setLength(40);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->lastResult()->request.length == 40, 30000);
        w.setLength(kMaxTypedLength);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->isBusy(), 10000);
        const QString demo = QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/models/demo-softmax");
        w.openModel(demo);
        QVERIFY(w.controller()->isLoadingModel());
        w.setLength(40);
        QTest::qWait(1);
        w.setMethod(QStringLiteral("log-n"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->modelDir().endsWith(QLatin1String("demo-softmax")), 30000);
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        QVERIFY(!w.findChild<QMessageBox *>(QStringLiteral("errorDialog")));
        QCOMPARE(w.controller()->lastResult()->request.length, qint64(40));
        QCOMPARE(w.controller()->lastResult()->labels.value(0), QStringLiteral("log-n"));
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

    // exportPlotPng (what File ▸ Export does after the options dialog): width×height logical pixels at
    // `scale`, so the file has width·scale × height·scale pixels and 96·scale dpi; absurd sizes fail cleanly.
    void pngExportSizes()
    {
        MainWindow w;
        w.controller()->setBackgroundEnabled(false);
        w.show();
        QTemporaryDir out;
        QVERIFY(out.isValid());
        struct Case { int view, width, height; double scale; QSize pixels; int dpi; };
        const Case cases[] = {{MainWindow::EntropyTab, 640, 480, 2.0, QSize(1280, 960), 192},
                              {MainWindow::AttentionTab, 300, 200, 1.5, QSize(450, 300), 144},
                              {MainWindow::CompareTab, 1000, 700, 1.0, QSize(1000, 700), 96}};
        for (const Case &c : cases) {
            const QString path = out.filePath(QStringLiteral("%1-%2x%3.png").arg(c.view).arg(c.width).arg(c.height));
            QString error;
            QVERIFY2(w.exportPlotPng(c.view, path, c.width, c.height, c.scale, &error), qPrintable(error));
            const QImage png(path);
            QVERIFY(!png.isNull());
            QCOMPARE(png.size(), c.pixels);
            QCOMPARE(png.dotsPerMeterX(), int(std::lround(c.dpi / 0.0254)));
        }
        QString error;
        const QString huge = out.filePath(QStringLiteral("huge.png"));
        QVERIFY(!w.exportPlotPng(MainWindow::EntropyTab, huge, 10000, 10000, 4.0, &error));
        QVERIFY(error.contains(QLatin1String("too large")));
        QVERIFY(!QFile::exists(huge));
        QVERIFY(!w.exportPlotPng(MainWindow::ViewCount, huge, 640, 480, 1.0, &error));
    }

    // The options dialog starts from QSettings (export/png*), else from the plot size at 2×; it clamps
    // to 100–10000, refuses files too large to render, and saveSettings() remembers its values.
    void pngExportDialogSettings()
    {
        QSettings().remove(QStringLiteral("export"));
        {
            PngExportDialog d(QSize(777, 555));
            QCOMPARE(d.widthSpin()->value(), 777);
            QCOMPARE(d.heightSpin()->value(), 555);
            QCOMPARE(d.scale(), 2.0);
            QCOMPARE(d.dpi(), 192);
            QVERIFY(d.scaleCombo()->currentText().contains(QLatin1String("192 dpi")));
        }
        {
            QSettings settings;
            settings.setValue(QStringLiteral("export/pngWidth"), 640);
            settings.setValue(QStringLiteral("export/pngHeight"), 480);
            settings.setValue(QStringLiteral("export/pngScale"), 3.0);
        }
        {
            PngExportDialog d(QSize(777, 555));
            QCOMPARE(d.widthSpin()->value(), 640);
            QCOMPARE(d.heightSpin()->value(), 480);
            QCOMPARE(d.pngWidth(), 640);
            QCOMPARE(d.scale(), 3.0);
            QCOMPARE(d.dpi(), 288);
            QCOMPARE(d.widthSpin()->minimum(), 100);
            QCOMPARE(d.widthSpin()->maximum(), 10000);
            auto *ok = d.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
            QVERIFY(ok->isEnabled());
            d.widthSpin()->setValue(10000);
            d.heightSpin()->setValue(10000);
            d.scaleCombo()->setCurrentIndex(d.scaleCombo()->count() - 1); // 4×: 40000² pixels
            QVERIFY(!ok->isEnabled());
            d.widthSpin()->setValue(1024);
            d.heightSpin()->setValue(50); // clamped to 100
            QCOMPARE(d.pngHeight(), 100);
            d.scaleCombo()->setCurrentIndex(0);
            QVERIFY(ok->isEnabled());
            d.saveSettings();
        }
        QSettings settings;
        QCOMPARE(settings.value(QStringLiteral("export/pngWidth")).toInt(), 1024);
        QCOMPARE(settings.value(QStringLiteral("export/pngHeight")).toInt(), 100);
        QCOMPARE(settings.value(QStringLiteral("export/pngScale")).toDouble(), 1.0);
        settings.setValue(QStringLiteral("export/pngWidth"), 50000); // out of range: clamped
        settings.setValue(QStringLiteral("export/pngScale"), 2.4);   // nearest offered scale
        PngExportDialog d(QSize(777, 555));
        QCOMPARE(d.pngWidth(), 10000);
        QCOMPARE(d.scale(), 2.0);
        settings.remove(QStringLiteral("export"));
    }

    // Dropping a model folder opens it; a text file becomes the input; a .entroscope file opens the
    // session; a broken folder reports and keeps the model.
    void dragAndDrop()
    {
        MainWindow w;
        w.controller()->setBackgroundEnabled(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        SessionState s;
        s.modelDir = kNeko;
        s.text = kText;
        s.length = 40;
        w.applyState(s);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QVERIFY(w.acceptDrops());

        auto drop = [&w](const QString &path) {
            QMimeData mime;
            mime.setUrls({QUrl::fromLocalFile(path)});
            const QPoint at = w.rect().center();
            QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&w, &enter);
            QVERIFY(enter.isAccepted());
            QDropEvent dropEvent(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&w, &dropEvent);
        };

        drop(kJunnyu);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->modelDir().endsWith(QLatin1String("tiny-junnyu")) && w.isIdle(), 30000);
        QVERIFY(w.lastError().isEmpty());

        QTemporaryDir tmp;
        const QString textPath = tmp.path() + QStringLiteral("/input.txt");
        QFile f(textPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("我们去公园").toUtf8());
        f.close();
        drop(textPath);
        QTRY_COMPARE(w.text(), QStringLiteral("我们去公园"));

        SessionState other = w.state();
        other.modelDir = kNeko;
        other.length = 48;
        const QString sessionPath = tmp.path() + QStringLiteral("/dropped.entroscope");
        QVERIFY(other.save(sessionPath));
        drop(sessionPath);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->modelDir().endsWith(QLatin1String("tiny-neko")) && w.length() == 48
                                     && w.isIdle(),
                                 30000);

        drop(QStringLiteral(ENTROSCOPE_TEST_DATA "/bad/nan-weights"));
        QTRY_VERIFY_WITH_TIMEOUT(!w.lastError().isEmpty(), 30000);
        auto *box = w.findChild<QMessageBox *>(QStringLiteral("errorDialog"));
        QVERIFY(box);
        box->close();
        QVERIFY(w.controller()->modelDir().endsWith(QLatin1String("tiny-neko")));
    }

    // Every model opened goes to the top of File ▸ Recent models (no duplicates); choosing an entry
    // opens that model.
    void recentModels()
    {
        QSettings().remove(QStringLiteral("recentModels"));
        MainWindow w;
        w.controller()->setBackgroundEnabled(false);
        w.show();
        SessionState s;
        s.modelDir = kNeko;
        s.text = kText;
        s.length = 40;
        w.applyState(s);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        w.openModel(kJunnyu);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->modelDir().endsWith(QLatin1String("tiny-junnyu")) && w.isIdle(), 30000);
        w.openModel(kNeko);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->modelDir().endsWith(QLatin1String("tiny-neko")) && w.isIdle(), 30000);

        const QStringList recent = QSettings().value(QStringLiteral("recentModels")).toStringList();
        QCOMPARE(recent.size(), 2);
        QVERIFY(recent[0].endsWith(QLatin1String("tiny-neko")));
        QVERIFY(recent[1].endsWith(QLatin1String("tiny-junnyu")));

        QMenu *menu = nullptr;
        for (QMenu *m : w.menuBar()->findChildren<QMenu *>())
            if (m->title().remove(QLatin1Char('&')) == QStringLiteral("Recent models"))
                menu = m;
        QVERIFY(menu);
        QVERIFY(menu->isEnabled());
        QCOMPARE(menu->actions().size(), 2);
        QVERIFY(menu->actions()[1]->text().endsWith(QLatin1String("tiny-junnyu")));
        menu->actions()[1]->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->modelDir().endsWith(QLatin1String("tiny-junnyu")) && w.isIdle(), 30000);
        QVERIFY(QSettings().value(QStringLiteral("recentModels")).toStringList().first().endsWith(QLatin1String("tiny-junnyu")));
    }

    // Edit ▸ Copy plot (Ctrl+Shift+C) puts the current view on the clipboard at twice its size.
    void copyPlotToClipboard()
    {
        MainWindow w;
        w.controller()->setBackgroundEnabled(false);
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        SessionState s;
        s.modelDir = kNeko;
        s.text = kText;
        s.length = 40;
        w.applyState(s);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QGuiApplication::clipboard()->clear();
        QAction *copy = nullptr;
        for (QAction *a : w.findChildren<QAction *>())
            if (a->text().remove(QLatin1Char('&')) == QStringLiteral("Copy plot"))
                copy = a;
        QVERIFY(copy);
        QCOMPARE(copy->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
        w.setCurrentView(MainWindow::EntropyTab);
        copy->trigger();
        const QImage image = QGuiApplication::clipboard()->image();
        QVERIFY(!image.isNull());
        const QSize plotSize = w.view(MainWindow::EntropyTab)->plot()->size();
        QCOMPARE(image.size(), plotSize * 2);
        // Not a blank image: the plot has its data drawn (more than a handful of colours).
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 8, qPrintable(QString::number(colours.size())));
        QVERIFY(w.statusBar()->currentMessage().contains(QLatin1String("copied")));

        // Copy values: the view's data as CSV, with what produced it, on the clipboard (Ctrl+Alt+C).
        QTest::keyClick(&w, Qt::Key_C, Qt::ControlModifier | Qt::AltModifier);
        const QString text = QGuiApplication::clipboard()->text();
        QVERIFY2(text.startsWith(QLatin1String("# entroscope_version: ")), qPrintable(text.left(200)));
        QVERIFY(text.contains(w.view(MainWindow::EntropyTab)->csv()));
        // View ▸ Reset zoom (Ctrl+0) undoes a zoom of the attention map.
        w.setCurrentView(MainWindow::AttentionTab);
        QCustomPlot *mapPlot = w.view(MainWindow::AttentionTab)->plot();
        const QCPRange before = mapPlot->xAxis->range();
        mapPlot->xAxis->setRange(before.lower, before.lower + before.size() / 4);
        QTest::keyClick(&w, Qt::Key_0, Qt::ControlModifier);
        QCOMPARE(mapPlot->xAxis->range(), before);
    }

    // Closing the window stores the session; the next start-up restores it (main.cpp uses
    // SessionState::restoreLast) unless its model folder has gone.
    void lastSessionComesBack()
    {
        SessionState before;
        {
            MainWindow w;
            w.controller()->setBackgroundEnabled(false);
            w.show();
            SessionState s;
            s.modelDir = kJunnyu;
            s.text = kText;
            s.length = 48;
            s.method = QStringLiteral("infoscale");
            s.compareMethods = {QStringLiteral("log-n")};
            s.layer = 1;
            s.view = MainWindow::EntropyTab;
            s.logScale = true;
            w.applyState(s);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
            before = w.state();
            QVERIFY(w.close());
        }
        SessionState restored;
        QVERIFY(SessionState::restoreLast(&restored));
        QCOMPARE(restored, before);
        MainWindow again;
        again.controller()->setBackgroundEnabled(false);
        again.show();
        again.applyState(restored);
        QTRY_VERIFY_WITH_TIMEOUT(again.isIdle(), 30000);
        QCOMPARE(again.state(), before);
        QCOMPARE(again.length(), qint64(48));
        QCOMPARE(again.currentViewIndex(), int(MainWindow::EntropyTab));

        // A session whose model folder has gone is not restored.
        QTemporaryDir gone;
        SessionState stale = before;
        stale.modelDir = gone.path() + QStringLiteral("/removed-model");
        stale.storeLast();
        SessionState untouched;
        QVERIFY(!SessionState::restoreLast(&untouched));
        QCOMPARE(untouched, SessionState());
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
