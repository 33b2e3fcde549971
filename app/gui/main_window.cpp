// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "main_window.h"

#include "analysis_controller.h"
#include "text/inputs.h"
#include "attention_map_view.h"
#include "platform/blas_check.h"
#include "compare_view.h"
#include "io/config.h"
#include "dilution_view.h"
#include "distance_profile_view.h"
#include "entropy_view.h"
#include "head_heatmap_view.h"
#include "head_selection.h"
#include "layer_overview.h"
#include "model/method.h"
#include "method_editor.h"
#include "io/npy.h"
#include "plot_export.h"
#include "token_inspector_view.h"
#include "qcustomplot_compat.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardItemModel>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <array>
#include <cmath>
#include <iterator>

namespace entroscope {

namespace {

// The controls dock scrolls at its preferred height (its labels wrap, so QScrollArea lays it out by
// height-for-width); QPlainTextEdit's default preferred height (192 px) would push the method controls
// off a 1280×720 screen. The editor still grows with the dock in taller windows (stretch 1).
class CompactTextEdit : public QPlainTextEdit
{
public:
    QSize sizeHint() const override { return QSize(QPlainTextEdit::sizeHint().width(), 110); }
};

constexpr int kMaxRecent = 8;

QStringList demoTextNames()
{
    QStringList names = QDir(QStringLiteral(":/texts")).entryList({QStringLiteral("*.txt")}, QDir::Files, QDir::Name);
    return names;
}

// The editor holds the whole text and every edit retokenises it: larger texts belong to entroscope-cli.
constexpr qint64 kMaxTextBytes = qint64(8) << 20;

QString readAll(const QString &path, QString *error)
{
    QFile f(path);
    if (f.size() > kMaxTextBytes) {
        if (error)
            *error = QObject::tr("%1: %2 MiB; the workbench opens texts of at most %3 MiB (entroscope-cli reads up to "
                                 "64 MiB)")
                         .arg(path)
                         .arg(double(f.size()) / double(1 << 20), 0, 'f', 1)
                         .arg(kMaxTextBytes >> 20);
        return {};
    }
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return {};
    }
    return QString::fromUtf8(f.readAll());
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_controller(new AnalysisController(this))
{
    setWindowTitle(tr("EntroScope"));
    setAcceptDrops(true);
    m_requestTimer = new QTimer(this);
    m_requestTimer->setSingleShot(true);
    connect(m_requestTimer, &QTimer::timeout, this, &MainWindow::sendRequest);
    m_textTimer = new QTimer(this);
    m_textTimer->setSingleShot(true);
    m_textTimer->setInterval(300);
    connect(m_textTimer, &QTimer::timeout, this, [this] {
        retokenize();
        scheduleRequest(0);
    });

    buildUi();
    buildMenus();

    connect(m_controller, &AnalysisController::modelLoaded, this, &MainWindow::onModelLoaded);
    connect(m_controller, &AnalysisController::modelLoadFailed, this, [this](const QString &dir, const QString &msg) {
        m_pendingState.reset();
        showError(tr("Cannot open model"), tr("The model in %1 could not be loaded:\n%2\n\nThe current model stays open.")
                                               .arg(QDir::toNativeSeparators(dir), msg));
        updateStatus();
    });
    connect(m_controller, &AnalysisController::resultReady, this, [this](quint64 g) {
        if (g == m_pendingGeneration)
            showResult();
    });
    connect(m_controller, &AnalysisController::exactRowsReady, this, [this](quint64 id) {
        if (id == m_regionId) {
            m_regionRows = m_controller->lastExactRows();
            if (m_regionRows)
                statusBar()->showMessage(tr("exact weights of queries %1–%2 × keys %3–%4, layer %5, n = %6: "
                                            "recomputed in %7 s")
                                             .arg(m_regionRows->row0)
                                             .arg(m_regionRows->row0 + m_regionRows->rows - 1)
                                             .arg(m_regionRows->col0)
                                             .arg(m_regionRows->col0 + m_regionRows->cols - 1)
                                             .arg(m_regionRows->layer)
                                             .arg(m_regionRows->length)
                                             .arg(m_regionRows->seconds, 0, 'f', 3),
                                         10000);
            applyExactRegion();
            return;
        }
        if (const auto &rows = m_controller->lastExactRows())
            statusBar()->showMessage(tr("exact row of query %1, layer %2, n = %3: recomputed in %4 s")
                                         .arg(rows->row0)
                                         .arg(rows->layer)
                                         .arg(rows->length)
                                         .arg(rows->seconds, 0, 'f', 3),
                                     10000);
        m_dirtyViews |= 1u << unsigned(TokenTab);
        if (m_tabs->currentIndex() == TokenTab)
            updateView(TokenTab);
    });
    connect(m_controller, &AnalysisController::exactRowsFailed, this, [this](quint64 id, const QString &msg) {
        statusBar()->showMessage((id == m_regionId ? tr("The exact weights of the zoomed region could not be computed: %1")
                                                   : tr("The exact row could not be computed: %1"))
                                     .arg(msg),
                                 8000);
    });
    // The primary method's views first, the compared methods and the comparison as each finishes.
    connect(m_controller, &AnalysisController::resultUpdated, this, [this](quint64 g) {
        if (g == m_pendingGeneration)
            showResult();
    });
    connect(m_controller, &AnalysisController::errorOccurred, this, [this](quint64 g, const QString &msg) {
        if (g != m_pendingGeneration)
            return;
        m_statusLabel->setText(tr("Error: %1").arg(msg));
        showError(tr("Analysis failed"), msg);
    });
    connect(m_controller, &AnalysisController::cancelled, this, [this](quint64) {
        // The controls go back to what the views show, so that they never state a length nobody computed.
        if (const auto res = m_controller->lastResult()) {
            m_state.length = res->request.length;
            showState();
            updateTokenLabel();
            updateFormula();
            m_statusLabel->setText(tr("Cancelled · showing n = %1").arg(res->request.length));
            m_resultShown = true; // the views show the last result, and the controls now say so
            // The cancelled state was never shown: it leaves the undo history.
            if (m_historyIndex >= 0 && !m_restoringHistory) {
                m_history.resize(size_t(m_historyIndex));
                --m_historyIndex;
                recordHistory();
            }
        } else {
            m_statusLabel->setText(tr("Cancelled"));
        }
    });
    connect(m_controller, &AnalysisController::progressChanged, this, [this](double f, const QString &label) {
        m_progress->setValue(int(std::lround(f * 1000)));
        m_progress->setFormat(label.isEmpty() ? QStringLiteral("%p%") : label + QStringLiteral(" %p%"));
    });
    connect(m_controller, &AnalysisController::busyChanged, this, [this](bool busy) {
        m_progress->setVisible(busy);
        m_cancelButton->setEnabled(busy);
        if (busy)
            m_progress->setValue(0);
    });
    connect(m_controller, &AnalysisController::sweepReset, this, [this] { m_dilutionView->clearSeries(); });
    connect(m_controller, &AnalysisController::sweepPoint, this,
            [this](const QString &label, qint64 n, double retained, double entropy, double local) {
                m_dilutionView->addPoint(label, n, retained, entropy, local);
            });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    rebuildRecentMenu();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildUi()
{
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("views"));
    m_mapView = new AttentionMapView;
    m_entropyView = new EntropyView;
    m_dilutionView = new DilutionView;
    m_distanceView = new DistanceProfileView;
    m_overview = new LayerOverview;
    m_compareView = new CompareView;
    m_tokenView = new TokenInspectorView;
    m_heatmap = new HeadHeatmapView;
    m_heatmap->setObjectName(QStringLiteral("headHeatmap"));
    // In View order (kViews): tab i is "&i+1 title", Ctrl+i+1 in the View menu.
    const std::array<QWidget *, ViewCount> tabs = {m_mapView, m_entropyView, m_dilutionView, m_distanceView,
                                                   m_overview, m_compareView, m_tokenView,   m_heatmap};
    for (int i = 0; i < ViewCount; ++i)
        m_tabs->addTab(tabs[size_t(i)], QStringLiteral("&%1 %2").arg(i + 1).arg(viewTitle(i)));
    // A click on a (layer, head) cell selects both and opens that head's map.
    connect(m_heatmap, &HeadHeatmapView::cellSelected, this, [this](int layer, int head) {
        quietly([&] { // one redraw for both changes
            setLayer(layer);
            setHead(head);
        });
        if (m_controller->lastResult())
            showResult();
        m_tabs->setCurrentIndex(AttentionTab);
    });
    // A click on a query row of the map opens its attention row in the token inspector.
    connect(m_mapView, &AttentionMapView::querySelected, this, [this](int64_t query) { inspectQuery(query); });
    // Zoomed into a pooled map: the exact weights of the region, from the layer inputs the analysis kept.
    connect(m_mapView, &AttentionMapView::exactRegionWanted, this,
            [this](qint64 row0, qint64 rows, qint64 col0, qint64 cols) {
                const auto res = m_controller->lastResult();
                if (!res || res->results.empty() || !res->results[0] || m_mapView->map().empty())
                    return;
                if (!res->results[0]->layerInputs) {
                    statusBar()->showMessage(tr("Exact weights of a zoomed region need the layer inputs, which this "
                                                "analysis did not keep (n = %1)")
                                                 .arg(res->results[0]->length),
                                             8000);
                    return;
                }
                m_regionId = m_controller->requestExactRows(m_mapView->map().layer, row0, rows, col0, cols);
                statusBar()->showMessage(tr("computing the exact weights of queries %1–%2 × keys %3–%4 …")
                                             .arg(row0)
                                             .arg(row0 + rows - 1)
                                             .arg(col0)
                                             .arg(col0 + cols - 1));
            });
    // … and so does a click on a token in the inspector's text pane.
    connect(m_tokenView, &TokenInspectorView::querySelected, this, [this](int64_t query) { inspectQuery(query); });
    setCentralWidget(m_tabs);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        m_state.view = index;
        updateView(index);
    });
    connect(m_overview, &LayerOverview::layerSelected, this, [this](int l) {
        setLayer(l);
        m_tabs->setCurrentIndex(AttentionTab);
    });
    // With several heads a thumbnail is one head's: it selects that head too (before layerSelected).
    connect(m_overview, &LayerOverview::headSelected, this, [this](int l, int h) {
        quietly([&] { // one redraw for both changes
            setLayer(l);
            setHead(h);
        });
        if (m_controller->lastResult())
            showResult();
    });
    connect(m_entropyView, &EntropyView::layerSelected, this, &MainWindow::setLayer);

    auto *panel = new QWidget;
    auto *v = new QVBoxLayout(panel);

    auto *modelBox = new QGroupBox(tr("Model"));
    auto *mv = new QVBoxLayout(modelBox);
    m_modelLabel = new QLabel(tr("no model"));
    m_modelLabel->setWordWrap(true);
    auto *openModelButton = new QPushButton(tr("Open model folder…"));
    connect(openModelButton, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open model folder"), m_controller->modelDir());
        if (!dir.isEmpty())
            openModel(dir);
    });
    mv->addWidget(m_modelLabel);
    mv->addWidget(openModelButton);
    v->addWidget(modelBox);

    auto *textBox = new QGroupBox(tr("Text"));
    auto *tv = new QVBoxLayout(textBox);
    auto *th = new QHBoxLayout;
    m_demoTextCombo = new QComboBox;
    m_demoTextCombo->setObjectName(QStringLiteral("demoTextCombo"));
    m_demoTextCombo->addItem(tr("Demo texts…"));
    for (const QString &name : demoTextNames())
        m_demoTextCombo->addItem(QFileInfo(name).completeBaseName(), QStringLiteral(":/texts/") + name);
    connect(m_demoTextCombo, &QComboBox::activated, this, [this](int i) {
        const QString path = m_demoTextCombo->itemData(i).toString();
        if (!path.isEmpty())
            setText(readAll(path, nullptr));
        m_demoTextCombo->setCurrentIndex(0);
    });
    auto *openText = new QPushButton(tr("Open…"));
    connect(openText, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open text"), lastFolder(QStringLiteral("text")),
                                                       tr("Text files (*.txt *.text *.md *.csv *.tsv *.json);;All files (*)"));
        if (!f.isEmpty()) {
            rememberFolder(QStringLiteral("text"), f);
            loadTextFile(f);
        }
    });
    th->addWidget(m_demoTextCombo, 1);
    th->addWidget(openText);
    tv->addLayout(th);
    m_textEdit = new CompactTextEdit;
    m_textEdit->setObjectName(QStringLiteral("textEdit"));
    m_textEdit->setMinimumHeight(90);
    connect(m_textEdit, &QPlainTextEdit::textChanged, this, [this] {
        if (m_updatingControls)
            return;
        m_state.text = m_textEdit->toPlainText(); // the editor is where the text is typed
        m_textTimer->start();
    });
    tv->addWidget(m_textEdit, 1);
    m_tokenLabel = new QLabel;
    m_tokenLabel->setObjectName(QStringLiteral("tokenLabel"));
    m_tokenLabel->setWordWrap(true);
    tv->addWidget(m_tokenLabel);
    v->addWidget(textBox, 1);

    auto *lenBox = new QGroupBox(tr("Context"));
    auto *lf = new QFormLayout(lenBox);
    const auto &stops = AnalysisController::lengthStops();
    m_lengthSlider = new QSlider(Qt::Horizontal);
    m_lengthSlider->setObjectName(QStringLiteral("lengthSlider"));
    m_lengthSlider->setRange(0, int(stops.size()) - 1);
    m_lengthSlider->setPageStep(2);
    m_lengthSlider->setTickPosition(QSlider::TicksBelow);
    m_lengthSpin = new QSpinBox;
    m_lengthSpin->setObjectName(QStringLiteral("lengthSpin"));
    // Typed lengths may go past the last slider stop (a QSpinBox silently rejects the digits that would
    // exceed its maximum, so 10000000 became 10000): the range is wide and the engine's memory guard refuses
    // what does not fit, with the figure.
    m_lengthSpin->setRange(1, kMaxTypedLength);
    m_lengthSpin->setToolTip(tr("Context length n: 1 … %1 tokens (the slider's stops go to %2); a length whose "
                                "analysis does not fit in memory is refused with the memory it needs")
                                 .arg(kMaxTypedLength)
                                 .arg(stops.back()));
    m_lengthSpin->setKeyboardTracking(false);
    m_lengthSpin->setSuffix(tr(" tokens"));
    connect(m_lengthSlider, &QSlider::valueChanged, this, [this](int i) {
        if (!m_updatingControls)
            setLength(AnalysisController::lengthStops()[size_t(i)]);
    });
    connect(m_lengthSpin, &QSpinBox::valueChanged, this, [this](int n) {
        if (!m_updatingControls)
            setLength(n);
    });
    auto *lenRow = new QHBoxLayout;
    lenRow->addWidget(m_lengthSlider, 1);
    lenRow->addWidget(m_lengthSpin);
    lf->addRow(tr("Length n"), lenRow);
    m_fillCombo = new QComboBox;
    m_fillCombo->setObjectName(QStringLiteral("fillCombo"));
    for (const auto &mode : fillModes())
        m_fillCombo->addItem(QString::fromStdString(mode));
    m_fillCombo->setToolTip(tr("tile: repeat the text until n tokens (every token then recurs every len(text) "
                               "positions, which attention can exploit);\ntruncate: the first n tokens;\n"
                               "concat: the text's lines are documents, one after the other, cut to n (the "
                               "non-repeated input; an error when they hold fewer than n tokens)"));
    connect(m_fillCombo, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_updatingControls)
            setFill(m_fillCombo->currentText());
    });
    lf->addRow(tr("Fill"), m_fillCombo);
    m_trainSpin = new QSpinBox;
    m_trainSpin->setObjectName(QStringLiteral("trainSpin"));
    m_trainSpin->setRange(0, 1 << 20);
    m_trainSpin->setSpecialValueText(tr("model's T"));
    m_trainSpin->setKeyboardTracking(false);
    connect(m_trainSpin, &QSpinBox::valueChanged, this, [this](int t) {
        if (!m_updatingControls)
            setTrainLength(t);
    });
    lf->addRow(tr("Training length T"), m_trainSpin);
    m_layerSpin = new QSpinBox;
    m_layerSpin->setObjectName(QStringLiteral("layerSpin"));
    m_layerSpin->setRange(0, 0);
    connect(m_layerSpin, &QSpinBox::valueChanged, this, [this](int l) {
        if (!m_updatingControls)
            setLayer(l);
    });
    // The head selector sits next to the layer's; it is hidden for one-head models (updateHeadRange).
    m_headCombo = new QComboBox;
    m_headCombo->setObjectName(QStringLiteral("headCombo"));
    m_headCombo->setToolTip(tr("The head the map, entropy, distance, layers, compare and token views show, or the "
                               "mean of the heads (maps averaged cell by cell, metrics averaged) — Alt+Up / Alt+Down"));
    connect(m_headCombo, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_updatingControls)
            setHead(m_headCombo->currentData().toInt());
    });
    m_headLabel = new QLabel(tr("Head"));
    auto *layerRow = new QHBoxLayout;
    layerRow->addWidget(m_layerSpin, 1);
    layerRow->addWidget(m_headLabel);
    layerRow->addWidget(m_headCombo, 1);
    lf->addRow(tr("Layer"), layerRow);
    updateHeadRange();
    v->addWidget(lenBox);

    auto *methodBox = new QGroupBox(tr("Method"));
    auto *mf = new QVBoxLayout(methodBox);
    m_presetCombo = new QComboBox;
    m_presetCombo->setObjectName(QStringLiteral("presetCombo"));
    for (const auto &p : presetInfos()) {
        m_presetCombo->addItem(QString::fromStdString(p.name), QString::fromStdString(p.name));
        m_presetCombo->setItemData(m_presetCombo->count() - 1,
                                   QString::fromStdString(p.description + " — " + p.source), Qt::ToolTipRole);
    }
    m_presetCombo->addItem(tr("custom"), QStringLiteral("custom"));
    connect(m_presetCombo, &QComboBox::activated, this, [this](int i) {
        const QString name = m_presetCombo->itemData(i).toString();
        if (name != QLatin1String("custom"))
            setMethod(name);
    });
    mf->addWidget(m_presetCombo);
    m_methodEditor = new MethodEditor;
    connect(m_methodEditor, &MethodEditor::methodEdited, this, [this](const QString &m) {
        m_state.method = m; // the editor already shows it
        quietly([this] { m_presetCombo->setCurrentIndex(m_presetCombo->findData(QStringLiteral("custom"))); });
        updateFormula();
        scheduleRequest(kSliderDebounceMs);
    });
    mf->addWidget(m_methodEditor);
    // The active formulas at the current n, and where the method departs from the checkpoint's training.
    m_formulaLabel = new QLabel;
    m_formulaLabel->setObjectName(QStringLiteral("formulaLabel"));
    m_formulaLabel->setWordWrap(true);
    m_formulaLabel->setTextFormat(Qt::RichText);
    m_formulaLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_formulaLabel->setStyleSheet(QStringLiteral("QLabel { background: palette(alternate-base); padding: 4px; }"));
    mf->addWidget(m_formulaLabel);
    mf->addWidget(new QLabel(tr("Compare with (up to %1):").arg(kMaxCompared)));
    m_compareList = new QListWidget;
    m_compareList->setObjectName(QStringLiteral("compareList"));
    for (const auto &p : presetInfos()) {
        auto *item = new QListWidgetItem(QString::fromStdString(p.name), m_compareList);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
        item->setToolTip(QString::fromStdString(p.description));
    }
    m_compareList->setMaximumHeight(130);
    connect(m_compareList, &QListWidget::itemChanged, this, [this](QListWidgetItem *item) {
        if (m_updatingControls)
            return;
        // At most kMaxCompared ticks: a further one is refused with a message, never dropped silently.
        if (item->checkState() == Qt::Checked && !m_state.compareMethods.contains(item->text())
            && m_state.compareMethods.size() >= kMaxCompared) {
            quietly([item] { item->setCheckState(Qt::Unchecked); });
            statusBar()->showMessage(tr("At most %1 methods to compare: untick one first").arg(kMaxCompared), 5000);
            return;
        }
        // The ticked methods in the order they were ticked (the first is the default reference).
        m_state.compareMethods.removeAll(item->text());
        if (item->checkState() == Qt::Checked)
            m_state.compareMethods << item->text();
        scheduleRequest(kSliderDebounceMs);
    });
    mf->addWidget(m_compareList);
    auto *addCompare = new QPushButton(tr("Add current method to the list"));
    addCompare->setObjectName(QStringLiteral("addCompareButton"));
    addCompare->setToolTip(tr("Adds the method being edited (a preset or temperature,qk,position) to the compare "
                              "list, ticked"));
    connect(addCompare, &QPushButton::clicked, this, [this] {
        if (m_compareList->findItems(m_state.method, Qt::MatchExactly).isEmpty()) {
            auto *item = new QListWidgetItem(m_state.method, m_compareList);
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            quietly([item] { item->setCheckState(Qt::Unchecked); });
            item->setCheckState(Qt::Checked); // through the limit check above
        }
    });
    mf->addWidget(addCompare);
    // The compared method the Compare view's difference map and JS divergence take against the shown one.
    auto *refRow = new QHBoxLayout;
    refRow->addWidget(new QLabel(tr("Difference and JS against:")));
    m_referenceCombo = new QComboBox;
    m_referenceCombo->setObjectName(QStringLiteral("referenceCombo"));
    m_referenceCombo->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_referenceCombo->setToolTip(tr("Which compared method the difference map and the per-layer JS divergence of the "
                                    "Compare view use against the shown method"));
    connect(m_referenceCombo, &QComboBox::activated, this, [this] {
        m_state.compareReference = m_referenceCombo->currentText();
        scheduleRequest(0);
    });
    refRow->addWidget(m_referenceCombo, 1);
    mf->addLayout(refRow);
    m_logCheck = new QCheckBox(tr("Log colour scale"));
    m_logCheck->setObjectName(QStringLiteral("logCheck"));
    connect(m_logCheck, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_updatingControls)
            setLogScale(on);
    });
    mf->addWidget(m_logCheck);
    v->addWidget(methodBox);

    auto *scroll = new QScrollArea;
    scroll->setWidget(panel);
    scroll->setWidgetResizable(true);
    scroll->setMinimumWidth(330);
    scroll->setObjectName(QStringLiteral("controlsScroll"));
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // the controls fit the dock's width
    auto *dock = new QDockWidget(tr("Controls"), this);
    dock->setObjectName(QStringLiteral("controlsDock"));
    dock->setWidget(scroll);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->setMinimumWidth(200);
    m_progress->setMaximumWidth(420);
    m_progress->setVisible(false);
    m_cancelButton = new QToolButton;
    m_cancelButton->setText(tr("Cancel"));
    m_cancelButton->setEnabled(false);
    connect(m_cancelButton, &QToolButton::clicked, m_controller, &AnalysisController::cancel);
    m_statusLabel = new QLabel;
    m_blasLabel = new QLabel;
    m_blasLabel->setStyleSheet(QStringLiteral("color: #b00000; font-weight: bold"));
    m_blasLabel->setVisible(false);
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_blasLabel);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancelButton);

    showState(); // the defaults of SessionState
    resize(1400, 900);
}

void MainWindow::buildMenus()
{
    auto add = [this](QMenu *menu, const QString &text, const QList<QKeySequence> &keys, auto slot) {
        QAction *a = menu->addAction(text);
        a->setShortcuts(keys);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    QMenu *file = menuBar()->addMenu(tr("&File"));
    add(file, tr("&Open model folder…"), {QKeySequence(Qt::CTRL | Qt::Key_O)}, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open model folder"), m_controller->modelDir());
        if (!dir.isEmpty())
            openModel(dir);
    });
    m_recentMenu = file->addMenu(tr("Recent &models"));
    m_bundledMenu = file->addMenu(tr("&Bundled models"));
    m_bundledMenu->setObjectName(QStringLiteral("bundledModelsMenu"));
    // Listed when opened, so that a model folder added while the workbench runs shows up.
    connect(m_bundledMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildBundledMenu);
    rebuildBundledMenu();
    add(file, tr("Open &text file…"), {}, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open text"), lastFolder(QStringLiteral("text")),
                                                       tr("Text files (*.txt *.text *.md *.csv *.tsv *.json);;All files (*)"));
        if (!f.isEmpty()) {
            rememberFolder(QStringLiteral("text"), f);
            loadTextFile(f);
        }
    });
    file->addSeparator();
    add(file, tr("Open &session…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O)}, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open session"), lastFolder(QStringLiteral("session")),
                                                       tr("EntroScope session (*.entroscope);;All files (*)"));
        QString error;
        if (!f.isEmpty() && !openSession(f, &error))
            showError(tr("Cannot open session"), error);
    });
    auto saveAs = [this] {
        QString f = QFileDialog::getSaveFileName(this, tr("Save session"),
                                                 m_currentSessionPath.isEmpty() ? lastFolder(QStringLiteral("session"))
                                                                                : m_currentSessionPath,
                                                 tr("EntroScope session (*.entroscope)"));
        if (f.isEmpty())
            return;
        if (!f.endsWith(QLatin1String(".entroscope")))
            f += QStringLiteral(".entroscope");
        QString error;
        if (!saveSession(f, &error))
            showError(tr("Cannot save session"), error);
    };
    add(file, tr("&Save session"), {QKeySequence(Qt::CTRL | Qt::Key_S)}, [this, saveAs] {
        QString error;
        if (m_currentSessionPath.isEmpty())
            saveAs();
        else if (!saveSession(m_currentSessionPath, &error))
            showError(tr("Cannot save session"), error);
    });
    add(file, tr("Save session &as…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S)}, saveAs);
    file->addSeparator();
    add(file, tr("&Export view…"), {QKeySequence(Qt::CTRL | Qt::Key_E)}, &MainWindow::exportCurrentDialog);
    add(file, tr("Export &report…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E)}, &MainWindow::exportReportDialog);
    file->addSeparator();
    add(file, tr("&Quit"), {QKeySequence::Quit}, [this] { close(); });

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_undoAction = add(edit, tr("&Undo"), {QKeySequence(Qt::CTRL | Qt::Key_Z)}, &MainWindow::undo);
    m_redoAction = add(edit, tr("&Redo"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)},
                       &MainWindow::redo);
    m_undoAction->setEnabled(false);
    m_redoAction->setEnabled(false);
    edit->addSeparator();
    add(edit, tr("&Copy plot"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C)}, &MainWindow::copyPlot);
    add(edit, tr("Copy &values (CSV)"), {QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_C)}, &MainWindow::copyValues);

    QMenu *viewMenu = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < ViewCount; ++i)
        add(viewMenu, viewTitle(i), {QKeySequence(Qt::CTRL | (Qt::Key_1 + i))}, [this, i] { m_tabs->setCurrentIndex(i); });
    viewMenu->addSeparator();
    add(viewMenu, tr("&Reset zoom"), {QKeySequence(Qt::CTRL | Qt::Key_0)}, [this] {
        if (PlotView *v = view(currentViewIndex()))
            v->resetZoom();
    });
    m_logAction = viewMenu->addAction(tr("&Log colour scale"));
    m_logAction->setObjectName(QStringLiteral("logAction"));
    m_logAction->setCheckable(true);
    m_logAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(m_logAction, &QAction::toggled, this, [this](bool on) {
        if (!m_updatingControls)
            setLogScale(on);
    });

    QMenu *analysis = menuBar()->addMenu(tr("&Analysis"));
    add(analysis, tr("Layer &up"), {QKeySequence(Qt::CTRL | Qt::Key_Up), QKeySequence(Qt::Key_PageUp)},
        [this] { stepLayer(+1); });
    add(analysis, tr("Layer &down"), {QKeySequence(Qt::CTRL | Qt::Key_Down), QKeySequence(Qt::Key_PageDown)},
        [this] { stepLayer(-1); });
    add(analysis, tr("Next &head"), {QKeySequence(Qt::ALT | Qt::Key_Up)}, [this] { stepHead(+1); });
    add(analysis, tr("Previous h&ead"), {QKeySequence(Qt::ALT | Qt::Key_Down)}, [this] { stepHead(-1); });
    analysis->addSeparator();
    add(analysis, tr("&Next length stop"), {QKeySequence(Qt::CTRL | Qt::Key_Right)}, [this] { stepLength(+1); });
    add(analysis, tr("&Previous length stop"), {QKeySequence(Qt::CTRL | Qt::Key_Left)}, [this] { stepLength(-1); });
    analysis->addSeparator();
    add(analysis, tr("Next &method"), {QKeySequence(Qt::CTRL | Qt::Key_BracketRight)}, [this] { stepMethod(+1); });
    add(analysis, tr("Previous m&ethod"), {QKeySequence(Qt::CTRL | Qt::Key_BracketLeft)}, [this] { stepMethod(-1); });
    analysis->addSeparator();
    add(analysis, tr("&Cancel computation"), {QKeySequence(Qt::Key_Escape)}, [this] { m_controller->cancel(); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    add(help, tr("&Keyboard shortcuts"), {QKeySequence(Qt::Key_F1)}, &MainWindow::showShortcuts);
    add(help, tr("&About EntroScope"), {}, [this] {
        const BlasReport &blas = checkBlas();
        QMessageBox::about(this, tr("About EntroScope"),
                           tr("<b>EntroScope</b> %1<br>Attention entropy, score dilution and attention maps of "
                              "GAU-α models as the context grows, under InfoScale, CosScale and other "
                              "length-extrapolation methods.<br><br>Qt %2 · LibTorch %3<br>BLAS: %4%5 · %6 GFLOP/s "
                              "measured at start-up")
                               .arg(QApplication::applicationVersion(), QString::fromLatin1(qVersion()),
                                    QString::fromStdString(libTorchVersion()),
                                    QString::fromStdString(blas.library).toHtmlEscaped(),
                                    blas.core.empty() ? QString() : QStringLiteral(" (%1)").arg(QString::fromStdString(blas.core)))
                               .arg(blas.gflops, 0, 'f', 0));
    });
}

QList<QPair<QString, QString>> MainWindow::shortcutList() const
{
    // Every menu action with a shortcut, as the menus define them (so the list cannot drift from them).
    QList<QPair<QString, QString>> out;
    for (QAction *menu : menuBar()->actions()) {
        if (!menu->menu())
            continue;
        for (QAction *a : menu->menu()->actions()) {
            QStringList keys;
            for (const QKeySequence &k : a->shortcuts())
                keys << k.toString(QKeySequence::NativeText);
            if (!keys.isEmpty())
                out.append({menu->text().remove(QLatin1Char('&')) + QStringLiteral(" ▸ ") + a->text().remove(QLatin1Char('&')),
                            keys.join(QStringLiteral(", "))});
        }
    }
    return out;
}

void MainWindow::showShortcuts()
{
    QString html = QStringLiteral("<table cellspacing=4>");
    for (const auto &[action, keys] : shortcutList())
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(keys.toHtmlEscaped(), action.toHtmlEscaped());
    html += QStringLiteral("</table><p>Mouse: wheel zooms a plot, drag pans it, double-click resets the zoom; a click "
                           "on a layer thumbnail selects the layer.</p>");
    auto *box = new QMessageBox(QMessageBox::NoIcon, tr("Keyboard shortcuts"), html, QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("shortcutsDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextFormat(Qt::RichText);
    box->open();
}

int MainWindow::currentViewIndex() const { return m_tabs->currentIndex(); }
void MainWindow::setCurrentView(int index) { m_tabs->setCurrentIndex(index); }

void MainWindow::openModel(const QString &dir)
{
    m_statusLabel->setText(tr("Loading %1…").arg(QDir::toNativeSeparators(dir)));
    m_controller->loadModel(dir);
}

void MainWindow::onModelLoaded(const QString &dir)
{
    m_state.modelDir = m_controller->modelDir();
    addRecentModel(dir);
    m_modelLabel->setText(m_controller->modelSummary());
    m_modelLabel->setToolTip(QDir::toNativeSeparators(dir));
    updateWindowTitle();
    m_dilutionView->clearSeries();
    updateLayerRange();
    updateHeadRange();
    if (m_pendingState) {
        SessionState s = *m_pendingState;
        m_pendingState.reset();
        s.modelDir = dir;
        applyState(s);
        return;
    }
    setMethod(m_state.method); // re-resolve against the new config
    updateDemoTextCoverage();
    retokenize();
    scheduleRequest(0);
}

void MainWindow::updateLayerRange()
{
    const int layers = std::max(1, m_controller->layerCount());
    m_state.layer = std::clamp(m_state.layer, 0, layers - 1);
    quietly([&] {
        m_layerSpin->setRange(0, layers - 1);
        m_layerSpin->setValue(m_state.layer);
    });
}

void MainWindow::updateHeadRange()
{
    const int heads = m_controller->headCount();
    // A head the new model does not have falls back to the mean; one-head models keep the choice for the next.
    if (heads > 1 && m_state.head >= heads)
        m_state.head = kHeadMean;
    quietly([&] {
        m_headCombo->clear();
        m_headCombo->addItem(tr("mean of heads"), kHeadMean);
        for (int h = 0; h < heads; ++h)
            m_headCombo->addItem(tr("head %1").arg(h), h);
        m_headCombo->setCurrentIndex(std::max(0, m_headCombo->findData(m_state.head)));
    });
    // One head: nothing to choose (GAU-α); the views show it as before.
    m_headCombo->setVisible(heads > 1);
    m_headLabel->setVisible(heads > 1);
    if (m_tabs)
        m_tabs->setTabToolTip(HeadsTab, heads > 1 ? QString()
                                                  : tr("This model has one attention map per layer: one column"));
}

void MainWindow::setHead(int head)
{
    const int heads = m_controller->headCount();
    if (head != kHeadMean && (head < 0 || (heads > 1 && head >= heads)))
        return;
    m_state.head = head;
    quietly([this] { m_headCombo->setCurrentIndex(std::max(0, m_headCombo->findData(m_state.head))); });
    if (!m_updatingControls && m_controller->lastResult())
        showResult();
}

int MainWindow::head() const
{
    return m_controller->headCount() <= 1 ? 0 : m_state.head;
}

void MainWindow::stepHead(int delta)
{
    // Mean of heads, head 0, …, H-1 (the combo's order); the ends stop, as the layer spin box does.
    const int heads = m_controller->headCount();
    if (heads <= 1)
        return;
    setHead(std::clamp(m_state.head + delta, int(kHeadMean), heads - 1));
}

QStringList MainWindow::bundledModelDirs()
{
    QStringList roots = qEnvironmentVariable("ENTROSCOPE_MODELS_DIR").split(QLatin1Char(':'), Qt::SkipEmptyParts);
#ifdef ENTROSCOPE_BUNDLED_MODELS_DIR
    roots << QStringLiteral(ENTROSCOPE_BUNDLED_MODELS_DIR);
#endif
    // An installed workbench: <prefix>/bin/entroscope next to <prefix>/share/entroscope/models.
    roots << QCoreApplication::applicationDirPath() + QStringLiteral("/../share/entroscope/models");
    QStringList out;
    for (const QString &root : roots) {
        const QDir dir(root);
        for (const QString &name : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
            const QString path = QDir::cleanPath(dir.absoluteFilePath(name));
            if (QFileInfo::exists(path + QStringLiteral("/config.json")) && !out.contains(path))
                out << path;
        }
    }
    return out;
}

void MainWindow::rebuildBundledMenu()
{
    m_bundledMenu->clear();
    const QStringList dirs = bundledModelDirs();
    for (const QString &dir : dirs) {
        QAction *a = m_bundledMenu->addAction(QFileInfo(dir).fileName());
        a->setToolTip(QDir::toNativeSeparators(dir));
        a->setData(dir);
        connect(a, &QAction::triggered, this, [this, dir] { openModel(dir); });
    }
    if (dirs.isEmpty())
        m_bundledMenu->addAction(tr("(none found)"))->setEnabled(false);
}

void MainWindow::retokenize()
{
    QString error;
    const int n = m_controller->setText(m_state.text, &error);
    if (n < 0) {
        m_tokenLabel->setText(tr("Tokenizer: %1").arg(error));
        m_tokenLabel->setStyleSheet(QString());
        return;
    }
    updateTokenLabel();
}

void MainWindow::updateTokenLabel()
{
    const int count = m_controller->tokenCount();
    if (!m_controller->hasModel() || count <= 0) {
        if (m_controller->hasModel())
            m_tokenLabel->setText(tr("%n token(s)", nullptr, count));
        return;
    }
    // What the input is made of at this n: the [UNK] share and, under tile, how often the text repeats
    // (both can fake a result: a row of [UNK] copies, or attention to copies of the same token).
    QStringList parts{tr("%n token(s)", nullptr, count)};
    const double unk = m_controller->unknownShare();
    if (unk > 0)
        parts << tr("%1 % [UNK]").arg(100 * unk, 0, 'f', unk < 0.1 ? 1 : 0);
    const qint64 n = m_state.length;
    const QString &fill = m_state.fill;
    const double repeats = double(n) / count;
    if (fill == QLatin1String("tile") && repeats > 1)
        parts << tr("tiled ×%1 at n = %2").arg(repeats, 0, 'f', repeats < 10 ? 1 : 0).arg(n);
    if (fill != QLatin1String("tile") && n > count)
        parts << tr("fewer than n = %1: use tile or a longer text").arg(n);
    const bool warn = unk > kUnknownWarnShare || (fill == QLatin1String("tile") && repeats > kTileWarnRepeats)
                      || (fill != QLatin1String("tile") && n > count);
    m_tokenLabel->setText(parts.join(QStringLiteral(" · ")));
    m_tokenLabel->setStyleSheet(warn ? QStringLiteral("color: #b35900; font-weight: bold;") : QString());
    m_tokenLabel->setToolTip(warn ? tr("The input may fake the result: a large [UNK] share makes many tokens the "
                                       "same, and a text tiled many times lets attention spread over copies of the "
                                       "same token. Use a longer text in the model's language, or fill concat.")
                                  : QString());
}

void MainWindow::updateDemoTextCoverage()
{
    // Demo texts the tokenizer does not cover (mostly [UNK]) stay listed but disabled, with the reason.
    for (int i = 1; i < m_demoTextCombo->count(); ++i) {
        const double unk = m_controller->unknownShareOf(readAll(m_demoTextCombo->itemData(i).toString(), nullptr));
        const bool covered = unk >= 0 && unk <= kDemoTextMaxUnknown;
        if (auto *model = qobject_cast<QStandardItemModel *>(m_demoTextCombo->model()))
            model->item(i)->setEnabled(covered);
        const QString why = !m_controller->hasTokenizer()
                                ? tr("Not for this model: it has no tokenizer (enter token ids)")
                                : tr("Not for this model: %1 % of its tokens are [UNK] under the model's tokenizer")
                                      .arg(100 * unk, 0, 'f', 0);
        m_demoTextCombo->setItemData(i, covered ? QString() : why, Qt::ToolTipRole);
    }
}

void MainWindow::setText(const QString &text)
{
    m_state.text = text;
    quietly([&] { m_textEdit->setPlainText(text); });
    m_textTimer->stop();
    retokenize();
    scheduleRequest(0);
}

QString MainWindow::text() const { return m_state.text; }

void MainWindow::loadTextFile(const QString &path)
{
    QString error;
    const QString t = readAll(path, &error);
    if (!error.isEmpty())
        showError(tr("Cannot open text"), error);
    else
        setText(t);
}

void MainWindow::setLength(qint64 n)
{
    m_state.length = std::clamp<qint64>(n, 1, kMaxTypedLength);
    quietly([this] { // the spin box says n, the slider the nearest stop
        m_lengthSpin->setValue(int(m_state.length));
        m_lengthSlider->setValue(AnalysisController::nearestStopIndex(m_state.length));
    });
    updateTokenLabel();
    updateFormula();
    scheduleRequest(kSliderDebounceMs);
}

qint64 MainWindow::length() const { return m_state.length; }

void MainWindow::setFill(const QString &fill)
{
    if (m_fillCombo->findText(fill) < 0)
        return;
    m_state.fill = fill;
    quietly([&] { m_fillCombo->setCurrentText(fill); });
    updateTokenLabel();
    scheduleRequest(0);
}

void MainWindow::setTrainLength(qint64 t)
{
    m_state.trainLength = std::clamp<qint64>(t, 0, m_trainSpin->maximum());
    quietly([this] { m_trainSpin->setValue(int(m_state.trainLength)); });
    // Presets resolve their defaults (windows = T) against the training length.
    if (m_presetCombo->findData(m_state.method) >= 0)
        setMethod(m_state.method);
    updateFormula();
    scheduleRequest(kSliderDebounceMs);
}

void MainWindow::setMethod(const QString &method)
{
    m_state.method = method;
    showMethod();
    updateFormula();
    scheduleRequest(kSliderDebounceMs);
}

void MainWindow::showMethod()
{
    quietly([this] {
        const int idx = m_presetCombo->findData(m_state.method);
        m_presetCombo->setCurrentIndex(idx >= 0 ? idx : m_presetCombo->findData(QStringLiteral("custom")));
        if (m_controller->hasModel()) {
            const MethodSpec spec = m_controller->resolveSpec(m_state.method, m_state.trainLength);
            if (!spec.temperature.empty())
                m_methodEditor->setSpec(spec);
        }
    });
}

void MainWindow::updateFormula()
{
    if (!m_formulaLabel)
        return;
    QStringList untrained;
    const QStringList lines = m_controller->methodFormulas(m_state.method, m_state.length, m_state.trainLength, &untrained);
    QString html;
    for (const QString &l : lines)
        html += QStringLiteral("• ") + l.toHtmlEscaped() + QStringLiteral("<br>");
    for (const QString &u : untrained) {
        const bool outOfDistribution = u.contains(QLatin1String("out of distribution"));
        html += QStringLiteral("<span style=\"color:%1\">%2 %3</span><br>")
                    .arg(outOfDistribution ? QStringLiteral("#b35900") : QStringLiteral("#555555"),
                         outOfDistribution ? QStringLiteral("⚠") : QStringLiteral("ℹ"), u.toHtmlEscaped());
    }
    if (html.endsWith(QLatin1String("<br>")))
        html.chop(4);
    m_formulaLabel->setText(html);
    m_formulaLabel->setVisible(!html.isEmpty());
}

void MainWindow::setCompareMethods(const QStringList &methods)
{
    QStringList ticked;
    for (const QString &m : methods)
        if (!m.isEmpty() && !ticked.contains(m) && ticked.size() < kMaxCompared)
            ticked << m;
    m_state.compareMethods = ticked;
    showCompareList();
    scheduleRequest(kSliderDebounceMs);
}

void MainWindow::showCompareList()
{
    quietly([this] {
        for (int i = 0; i < m_compareList->count(); ++i) {
            QListWidgetItem *item = m_compareList->item(i);
            item->setCheckState(m_state.compareMethods.contains(item->text()) ? Qt::Checked : Qt::Unchecked);
        }
        // Custom methods that are not presets get their own (ticked) rows.
        for (const QString &m : m_state.compareMethods)
            if (m_compareList->findItems(m, Qt::MatchExactly).isEmpty()) {
                auto *item = new QListWidgetItem(m, m_compareList);
                item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
                item->setCheckState(Qt::Checked);
            }
    });
}

QStringList MainWindow::compareMethods() const
{
    QStringList out = m_state.compareMethods;
    out.removeAll(m_state.method); // never compared with itself
    return out.mid(0, kMaxCompared);
}

QStringList MainWindow::allMethods() const
{
    // The chosen reference goes second: the controller's JS and the Compare view's difference take the
    // first two methods.
    QStringList compared = compareMethods();
    const int ref = compared.indexOf(m_state.compareReference);
    if (ref > 0)
        compared.move(ref, 0);
    return QStringList{m_state.method} + compared;
}

void MainWindow::updateReferenceChoices()
{
    const QStringList compared = compareMethods();
    if (!compared.contains(m_state.compareReference))
        m_state.compareReference = compared.value(0);
    quietly([&] {
        m_referenceCombo->clear();
        m_referenceCombo->addItems(compared);
        m_referenceCombo->setCurrentText(m_state.compareReference);
        m_referenceCombo->setEnabled(compared.size() > 1);
    });
}

void MainWindow::setLayer(int layer)
{
    m_state.layer = std::clamp(layer, 0, std::max(1, m_controller->layerCount()) - 1);
    quietly([this] { m_layerSpin->setValue(m_state.layer); });
    if (!m_updatingControls && m_controller->lastResult())
        showResult();
}

int MainWindow::layer() const { return m_state.layer; }

void MainWindow::stepLayer(int delta) { setLayer(m_state.layer + delta); }

void MainWindow::stepLength(int delta)
{
    const auto &stops = AnalysisController::lengthStops();
    const qint64 n = length();
    if (delta > 0) {
        for (int64_t s : stops)
            if (s > n) {
                setLength(s);
                return;
            }
    } else {
        for (auto it = stops.rbegin(); it != stops.rend(); ++it)
            if (*it < n) {
                setLength(*it);
                return;
            }
    }
}

void MainWindow::stepMethod(int delta)
{
    const int count = m_presetCombo->count() - 1; // without "custom"
    int i = m_presetCombo->findData(m_state.method);
    i = i < 0 ? 0 : (i + delta + count) % count;
    setMethod(m_presetCombo->itemData(i).toString());
}

void MainWindow::setLogScale(bool on)
{
    m_state.logScale = on;
    quietly([this] {
        m_logCheck->setChecked(m_state.logScale);
        if (m_logAction)
            m_logAction->setChecked(m_state.logScale);
    });
    m_mapView->setLogScale(on);
    m_compareView->setLogScale(on);
    m_overview->setLogScale(on);
}

void MainWindow::scheduleRequest(int delayMs)
{
    if (m_updatingControls || m_pendingState)
        return;
    m_resultShown = false;
    // A stop that is already computed is shown at once: debouncing only protects the worker.
    if (delayMs > 0 && m_controller->hasModel() && m_controller->tokenCount() > 0
        && m_controller->isCached(currentRequest()))
        delayMs = 0;
    m_requestTimer->start(delayMs);
}

void MainWindow::sendRequest()
{
    updateReferenceChoices();
    if (!m_controller->hasModel() || m_controller->tokenCount() == 0)
        return;
    // A control changed while a model loads: the request waits for it (onModelLoaded asks again with the
    // controls as they are then), instead of being refused with an error dialog.
    if (m_controller->isLoadingModel())
        return;
    m_resultShown = false;
    const ViewRequest req = currentRequest();
    m_pendingGeneration = m_controller->request(req);
    recordHistory();
    // Until the result comes, the status line says what is being computed (not the last result's time).
    if (!isIdle())
        m_statusLabel->setText(tr("Computing n = %1 · %2 …").arg(req.length).arg(req.methods.join(QStringLiteral(", "))));
}

ViewRequest MainWindow::currentRequest() const
{
    ViewRequest req;
    req.length = m_state.length;
    req.fill = m_state.fill;
    req.methods = allMethods();
    req.trainLength = m_state.trainLength;
    return req;
}

bool MainWindow::isIdle() const
{
    return m_resultShown && !m_requestTimer->isActive() && !m_textTimer->isActive() && !m_controller->isBusy()
           && !m_pendingState && !(m_dirtyViews & (1u << unsigned(m_tabs->currentIndex())));
}

void MainWindow::showResult()
{
    const auto res = m_controller->lastResult();
    if (!res || res->results.empty() || !res->results[0])
        return;
    m_dilutionView->setTrainLength(res->trainLength);
    m_dilutionView->setCurrentLength(res->request.length);
    // Each view takes the result when it is shown (or before an export), the one on screen in an event of
    // its own: filling every view with 1024² maps and thumbnails in one go kept the GUI thread busy for
    // 30-40 ms per result while the worker competed for the cores.
    m_dirtyViews = resultViews();
    if (!m_viewUpdateQueued) {
        m_viewUpdateQueued = true;
        QTimer::singleShot(0, this, [this] {
            m_viewUpdateQueued = false;
            updateView(m_tabs->currentIndex());
        });
    }
    m_resultShown = true;
    updateStatus();
    Q_EMIT viewsUpdated();
}

void MainWindow::updateStatus()
{
    const auto res = m_controller->lastResult();
    if (!res)
        return;
    const int64_t n = res->request.length;
    QString s = tr("n = %1 · T = %2 · %3").arg(n).arg(res->trainLength).arg(res->labels.join(QStringLiteral(", ")));
    if (!res->complete)
        s += tr(" · %1 s so far · computing %2…").arg(res->seconds, 0, 'f', 1).arg(res->pending.join(QStringLiteral(", ")));
    else
        s += res->fromCache ? tr(" · from cache") : tr(" · computed in %1 s").arg(res->seconds, 0, 'f', 2);
    if (n > AnalysisController::kFullMapMaxLength)
        s += tr(" · maps max-pooled");
    m_statusLabel->setText(s);
}

void MainWindow::setBlasWarning(const QString &warning)
{
    m_blasLabel->setText(warning);
    m_blasLabel->setToolTip(warning);
    m_blasLabel->setVisible(!warning.isEmpty());
}

void MainWindow::showError(const QString &title, const QString &message)
{
    m_lastError = message;
    // Non-modal: the event loop (and tests) keep running while the dialog is up.
    auto *box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

SessionState MainWindow::state() const
{
    SessionState s = m_state;
    s.head = head(); // one-head models: 0
    return s;
}

void MainWindow::applyState(const SessionState &s)
{
    if (!s.modelDir.isEmpty() && QDir(s.modelDir).absolutePath() != m_controller->modelDir()) {
        m_pendingState = s;
        openModel(s.modelDir);
        return;
    }
    const QString modelDir = m_state.modelDir;
    m_state = s;
    m_state.modelDir = modelDir.isEmpty() ? m_controller->modelDir() : modelDir;
    m_state.length = std::clamp<qint64>(s.length, 1, kMaxTypedLength);
    m_state.view = std::clamp(s.view, 0, ViewCount - 1);
    if (m_fillCombo->findText(s.fill) < 0)
        m_state.fill = SessionState().fill;
    setCompareMethods(s.compareMethods); // at most kMaxCompared, no duplicates
    showState();
    m_dirtyViews |= 1u << unsigned(TokenTab);
    retokenize();
    scheduleRequest(0);
}

void MainWindow::showState()
{
    updateLayerRange(); // clamps the layer and the head to the model's
    updateHeadRange();
    quietly([this] {
        if (m_textEdit->toPlainText() != m_state.text)
            m_textEdit->setPlainText(m_state.text);
        m_fillCombo->setCurrentText(m_state.fill);
        m_trainSpin->setValue(int(m_state.trainLength));
        m_lengthSpin->setValue(int(m_state.length));
        m_lengthSlider->setValue(AnalysisController::nearestStopIndex(m_state.length));
        m_tabs->setCurrentIndex(m_state.view);
    });
    setLogScale(m_state.logScale);
    showMethod();
    showCompareList();
    updateFormula();
}

bool MainWindow::saveSession(const QString &path, QString *error)
{
    if (!state().save(path, error))
        return false;
    m_currentSessionPath = path;
    rememberFolder(QStringLiteral("session"), path);
    updateWindowTitle();
    statusBar()->showMessage(tr("Session saved to %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

void MainWindow::updateWindowTitle()
{
    const QString model = QFileInfo(m_controller->modelDir()).fileName();
    QString title = model.isEmpty() ? tr("EntroScope") : tr("EntroScope — %1").arg(model);
    if (!m_currentSessionPath.isEmpty())
        title += QStringLiteral(" — ") + QFileInfo(m_currentSessionPath).fileName();
    setWindowTitle(title);
}

QString MainWindow::lastFolder(const QString &kind) const
{
    return QSettings().value(QStringLiteral("folders/") + kind).toString();
}

void MainWindow::rememberFolder(const QString &kind, const QString &path)
{
    QSettings().setValue(QStringLiteral("folders/") + kind, QFileInfo(path).absolutePath());
}

bool MainWindow::openSession(const QString &path, QString *error)
{
    SessionState s;
    if (!SessionState::load(path, &s, error))
        return false;
    m_currentSessionPath = path;
    rememberFolder(QStringLiteral("session"), path);
    applyState(s);
    updateWindowTitle();
    return true;
}

void MainWindow::recordHistory()
{
    // One entry per state that was sent for computation (debounced: a slider drag is one step), so undo
    // walks back through what the user looked at. A new change after undos drops the redo branch.
    if (m_restoringHistory)
        return;
    const SessionState s = state();
    if (m_historyIndex >= 0 && m_history[size_t(m_historyIndex)] == s)
        return;
    m_history.resize(size_t(m_historyIndex + 1));
    m_history.push_back(s);
    if (m_history.size() > kHistoryLimit)
        m_history.erase(m_history.begin());
    m_historyIndex = int(m_history.size()) - 1;
    updateUndoActions();
}

void MainWindow::updateUndoActions()
{
    if (!m_undoAction)
        return;
    m_undoAction->setEnabled(m_historyIndex > 0);
    m_redoAction->setEnabled(m_historyIndex + 1 < int(m_history.size()));
}

void MainWindow::stepHistory(int delta)
{
    const int target = m_historyIndex + delta;
    if (target < 0 || target >= int(m_history.size()))
        return;
    m_historyIndex = target;
    m_restoringHistory = true;
    applyState(m_history[size_t(target)]);
    m_restoringHistory = false;
    updateUndoActions();
    statusBar()->showMessage(delta < 0 ? tr("Undone (%1 more)").arg(target) : tr("Redone"), 3000);
}

void MainWindow::undo() { stepHistory(-1); }
void MainWindow::redo() { stepHistory(+1); }

void MainWindow::inspectQuery(int64_t query)
{
    m_state.inspectQuery = query;
    m_dirtyViews |= 1u << unsigned(TokenTab);
    m_tabs->setCurrentIndex(TokenTab);
    updateView(TokenTab);
}

void MainWindow::copyValues()
{
    updateView(currentViewIndex());
    const QString text = csvWithProvenance(currentViewIndex());
    if (text.isEmpty()) {
        statusBar()->showMessage(tr("Nothing to copy: %1 shows no data").arg(viewTitle(currentViewIndex())), 5000);
        return;
    }
    QApplication::clipboard()->setText(text);
    statusBar()->showMessage(tr("%1: values copied to the clipboard as CSV").arg(viewTitle(currentViewIndex())), 5000);
}

void MainWindow::copyPlot()
{
    updateView(currentViewIndex()); // the view on screen; its update may still be queued
    QString error;
    if (PlotView *v = view(currentViewIndex()); v && !copyToClipboard(v->plot(), 2.0, &error))
        showError(tr("Copy failed"), error);
    else
        statusBar()->showMessage(tr("%1 copied to the clipboard").arg(viewTitle(currentViewIndex())), 5000);
}

void MainWindow::addRecentModel(const QString &dir)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recentModels")).toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    settings.setValue(QStringLiteral("recentModels"), recent.mid(0, kMaxRecent));
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recentModels")).toStringList();
    for (const QString &dir : recent)
        connect(m_recentMenu->addAction(QDir::toNativeSeparators(dir)), &QAction::triggered, this,
                [this, dir] { openModel(dir); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    state().storeLast();
    m_controller->cancel();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    const QString path = urls.first().toLocalFile();
    const QFileInfo info(path);
    if (info.isDir()) {
        openModel(path);
    } else if (info.suffix() == QLatin1String("entroscope")) {
        QString error;
        if (!openSession(path, &error))
            showError(tr("Cannot open session"), error);
    } else {
        loadTextFile(path);
    }
    event->acceptProposedAction();
}

} // namespace entroscope
