// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include <tuple>

// MainWindow: the workbench. Controls (model, text, length, fill, method, compared methods, T, layer) in a
// dock on the left, the six views in tabs, progress/cancel/timings/BLAS warning in the status bar.
// All engine work goes through the AnalysisController it owns (one worker thread); the window only shows
// results and dialogs. Dialogs for errors are non-modal (open()), so nothing here blocks the event loop
// except the file dialogs the user opens. GUI thread only. No LibTorch in this header.

#include "session_state.h"

#include <QDialog>
#include <QJsonObject>
#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <optional>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QMenu;
class QMessageBox;
class QPlainTextEdit;
class QProgressBar;
class QSlider;
class QSpinBox;
class QTabWidget;
class QTimer;
class QToolButton;

namespace entroscope {

/// Delay between the last control change and the request: long enough to skip the stops a dragged
/// slider passes over, short enough to feel immediate. Computed stops are shown without it.
inline constexpr int kSliderDebounceMs = 60;
/// Methods the compare list accepts besides the primary one.
inline constexpr int kMaxCompared = 3;
/// Control states kept for undo.
inline constexpr size_t kHistoryLimit = 200;
/// The largest length the spin box takes (the memory guard refuses what does not fit).
inline constexpr int kMaxTypedLength = 1 << 20;
/// The token label warns above this [UNK] share, or when tile repeats the text more often than this.
inline constexpr double kUnknownWarnShare = 0.1;
inline constexpr double kTileWarnRepeats = 8;
/// Demo texts with more [UNK] than this share under the model's tokenizer are not offered.
inline constexpr double kDemoTextMaxUnknown = 0.3;

class AnalysisController;
struct ViewRequest;
struct ExactRows;
class AttentionMapView;
class CompareView;
class TokenInspectorView;
class DilutionView;
class DistanceProfileView;
class EntropyView;
class HeadHeatmapView;
class LayerOverview;
class MethodEditor;
class PlotView;

/// Options of a PNG export: width and height in logical pixels (100–10000) and a scale factor, shown
/// with the resulting dpi (96·scale) and file size. Starts from the values remembered in QSettings
/// (export/pngWidth, export/pngHeight, export/pngScale), each falling back to `plotSize` (2× for the
/// scale); saveSettings() remembers the current ones (MainWindow calls it on accept).
class PngExportDialog : public QDialog
{
    Q_OBJECT
public:
    static constexpr int kMinSide = 100;
    static constexpr int kMaxSide = 10000;

    explicit PngExportDialog(const QSize &plotSize, QWidget *parent = nullptr);

    int pngWidth() const;
    int pngHeight() const;
    double scale() const;
    int dpi() const { return int(96 * scale() + 0.5); }
    void saveSettings() const;

    QSpinBox *widthSpin() const { return m_widthSpin; }
    QSpinBox *heightSpin() const { return m_heightSpin; }
    QComboBox *scaleCombo() const { return m_scaleCombo; }

private:
    void updateSummary();

    QSpinBox *m_widthSpin = nullptr;
    QSpinBox *m_heightSpin = nullptr;
    QComboBox *m_scaleCombo = nullptr;
    QLabel *m_summaryLabel = nullptr;
};

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    enum View { AttentionTab, EntropyTab, DilutionTab, DistanceTab, LayersTab, CompareTab, TokenTab, HeadsTab, ViewCount };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    AnalysisController *controller() const { return m_controller; }

    /// Loads a model folder in the background; on failure an error dialog, the current model stays.
    void openModel(const QString &dir);
    void setText(const QString &text);
    /// File ▸ Open text: reads a UTF-8 file (at most 8 MiB) into the editor; an error dialog otherwise.
    void loadTextFile(const QString &path);
    QString text() const;
    void setLength(qint64 n);
    qint64 length() const;
    void setMethod(const QString &method);
    QString method() const { return m_state.method; }
    void setCompareMethods(const QStringList &methods);
    QStringList compareMethods() const;
    void setLayer(int layer);
    int layer() const;
    /// The head the views show: 0 … H-1, or kHeadMean (-1) for the mean of the heads (the default). The
    /// head selector is hidden for one-head models (GAU-α), where this is always 0.
    void setHead(int head);
    int head() const;
    /// Model folders (with a config.json) under the bundled models folder(s), sorted by name: File ▸
    /// Bundled models. ENTROSCOPE_MODELS_DIR (colon-separated) adds folders to look in.
    static QStringList bundledModelDirs();
    void setFill(const QString &fill);
    void setTrainLength(qint64 t); ///< 0 = the model's

    SessionState state() const;
    /// Applies a state; loads its model first when it differs (the rest follows when it has loaded).
    void applyState(const SessionState &state);
    bool saveSession(const QString &path, QString *error = nullptr);
    bool openSession(const QString &path, QString *error = nullptr);

    PlotView *view(int index) const;
    static QString viewName(int index);
    /// The view's title as its tab shows it ("Attention map").
    static QString viewTitle(int index);
    /// Every menu action with a shortcut: ("Menu ▸ Action", "keys").
    QList<QPair<QString, QString>> shortcutList() const;
    /// What produced an export of view `index`: version, model, every method resolved, n, T, fill, layer.
    QJsonObject provenance(int index) const;
    /// The same in one line (PNG/SVG descriptions, PDF titles).
    QString provenanceText(int index) const;
    /// The view's CSV with the provenance as "# key: value" lines first (exports, Copy values).
    QString csvWithProvenance(int index) const;
    void copyValues();
    /// Shows query `query`'s attention row (selected layer, primary method) in the token inspector tab.
    void inspectQuery(int64_t query);
    int64_t inspectedQuery() const { return m_state.inspectQuery; }
    /// Undo/redo of control changes (Edit ▸ Undo, Ctrl+Z / Ctrl+Shift+Z): every state sent for computation
    /// is one step.
    void undo();
    void redo();
    int currentViewIndex() const;
    void setCurrentView(int index);

    /// Exports view `index` by the suffix of `path`: png, svg, pdf (plot), csv, json (data), npy (the
    /// attention map shown; attention tab only). False + *error on failure.
    bool exportView(int index, const QString &path, QString *error = nullptr);
    /// PNG of view `index` at width×height logical pixels and `scale` (the file has width·scale ×
    /// height·scale pixels and records 96·scale dpi); what File ▸ Export does after the PNG options
    /// dialog, callable without it. width/height ≤ 0: exportSize(). False + *error on failure.
    bool exportPlotPng(int index, const QString &path, int width, int height, double scale, QString *error = nullptr);
    /// The size exports use by default: the visible tab's size, or 1200×800 when that is small/hidden.
    QSize exportSize() const;
    /// Every view as png/svg/pdf/csv/json, the map as .npy and settings.json into `dir`.
    bool exportReport(const QString &dir, QString *error = nullptr);
    /// Saves a picture of the window with each view in front to dir/NN-name.png.
    bool grabViews(const QString &dir, QString *error = nullptr);

    /// The message of the last error dialog (for tests); cleared by clearLastError().
    QString lastError() const { return m_lastError; }
    void clearLastError() { m_lastError.clear(); }
    /// True once the current request's result is shown and nothing is computing in the foreground.
    bool isIdle() const;
    void setBlasWarning(const QString &warning);

    QSlider *lengthSlider() const { return m_lengthSlider; }
    QSpinBox *lengthSpin() const { return m_lengthSpin; }
    QComboBox *presetCombo() const { return m_presetCombo; }

Q_SIGNALS:
    /// A result was put on the views (after the controller's resultReady).
    void viewsUpdated();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void buildUi();
    void buildMenus();
    void scheduleRequest(int delayMs);
    void sendRequest();
    ViewRequest currentRequest() const;
    void showResult();
    /// Gives view `index` the current result if it has not got it yet (views update lazily: the one on
    /// screen right after a result, the others when shown, exported or asked for through view()).
    void updateView(int index) const;
    void updateAllViews() const;
    void showError(const QString &title, const QString &message);
    void onModelLoaded(const QString &dir);
    void retokenize();
    void updateTokenLabel();
    void updateFormula();
    void updateWindowTitle();
    void showShortcuts();
    QString lastFolder(const QString &kind) const;
    void rememberFolder(const QString &kind, const QString &path);
    void updateDemoTextCoverage();
    void updateLayerRange();
    void addRecentModel(const QString &dir);
    void rebuildRecentMenu();
    void stepLength(int delta);
    void stepMethod(int delta);
    void stepLayer(int delta);
    void stepHead(int delta);
    void updateHeadRange();
    void rebuildBundledMenu();
    void setLogScale(bool on);
    void exportCurrentDialog();
    void exportReportDialog();
    void copyPlot();
    void updateStatus();
    QStringList allMethods() const;

    AnalysisController *m_controller = nullptr;
    /// The session model: what the controls show. Every control's change goes through the setter of its
    /// field (setLength, setMethod, …), which writes it here and then shows it on every control that
    /// displays it; requests, history, sessions and exports read this, never the widgets.
    SessionState m_state;
    /// Puts every field of m_state on its controls (signals of the controls are ignored meanwhile).
    void showState();
    void showMethod();
    void showCompareList();
    /// Runs f with m_updatingControls set (restored after, so that it nests).
    template <class F>
    void quietly(F &&f)
    {
        const bool was = m_updatingControls;
        m_updatingControls = true;
        f();
        m_updatingControls = was;
    }
    std::optional<SessionState> m_pendingState;
    quint64 m_pendingGeneration = 0;
    bool m_resultShown = false;
    /// The (analysis, layer, query) whose exact row was last asked for (not asked twice).
    mutable std::tuple<const void *, int, int64_t> m_exactAsked{nullptr, -1, -1};
    /// The zoomed map's exact region: the id of its request and the rows once delivered (every head).
    quint64 m_regionId = 0;
    mutable std::shared_ptr<const ExactRows> m_regionRows;
    /// Puts m_regionRows over the map when they belong to the shown analysis, layer and head selection.
    void applyExactRegion() const;
    QString m_lastError;
    QString m_currentSessionPath;

    /// What a view's update takes from the shown result (main_window.cpp).
    struct ViewInput;
    using ViewUpdate = void (MainWindow::*)(const ViewInput &) const;
    /// One entry per view, in View order: the name its files and `--screenshot` PNGs use, its title (tab,
    /// View menu, messages) and its update from the shown result (null: fed otherwise).
    struct ViewEntry
    {
        const char *name;
        const char *title;
        ViewUpdate update;
    };
    static const ViewEntry kViews[];
    /// The views with an update (bit per View).
    static unsigned resultViews();
    void updateMapView(const ViewInput &in) const;
    void updateEntropyView(const ViewInput &in) const;
    void updateDistanceView(const ViewInput &in) const;
    void updateLayersView(const ViewInput &in) const;
    void updateCompareView(const ViewInput &in) const;
    void updateTokenView(const ViewInput &in) const;
    void updateHeadsView(const ViewInput &in) const;
    mutable unsigned m_dirtyViews = 0; ///< bit per tab: the view has not taken the last result yet
    bool m_viewUpdateQueued = false;
    QTabWidget *m_tabs = nullptr;
    AttentionMapView *m_mapView = nullptr;
    EntropyView *m_entropyView = nullptr;
    DilutionView *m_dilutionView = nullptr;
    DistanceProfileView *m_distanceView = nullptr;
    LayerOverview *m_overview = nullptr;
    CompareView *m_compareView = nullptr;
    TokenInspectorView *m_tokenView = nullptr;

    QLabel *m_modelLabel = nullptr;
    QPlainTextEdit *m_textEdit = nullptr;
    QComboBox *m_demoTextCombo = nullptr;
    QLabel *m_tokenLabel = nullptr;
    QLabel *m_formulaLabel = nullptr;
    QComboBox *m_referenceCombo = nullptr;
    void updateReferenceChoices();
    void recordHistory();
    void updateUndoActions();
    void stepHistory(int delta);
    std::vector<SessionState> m_history;
    int m_historyIndex = -1;
    bool m_restoringHistory = false;
    QAction *m_undoAction = nullptr;
    QAction *m_redoAction = nullptr;
    QSlider *m_lengthSlider = nullptr;
    QSpinBox *m_lengthSpin = nullptr;
    QComboBox *m_fillCombo = nullptr;
    QSpinBox *m_trainSpin = nullptr;
    QComboBox *m_presetCombo = nullptr;
    MethodEditor *m_methodEditor = nullptr;
    QListWidget *m_compareList = nullptr;
    QSpinBox *m_layerSpin = nullptr;
    QComboBox *m_headCombo = nullptr; ///< item 0 "mean of heads" (data -1), then heads 0 … H-1
    QLabel *m_headLabel = nullptr;
    HeadHeatmapView *m_heatmap = nullptr;
    QMenu *m_bundledMenu = nullptr;
    QCheckBox *m_logCheck = nullptr;

    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancelButton = nullptr;
    QLabel *m_statusLabel = nullptr;
    QLabel *m_blasLabel = nullptr;
    QMenu *m_recentMenu = nullptr;
    QAction *m_logAction = nullptr;

    QTimer *m_requestTimer = nullptr;
    QTimer *m_textTimer = nullptr;
    bool m_updatingControls = false;
};

} // namespace entroscope
