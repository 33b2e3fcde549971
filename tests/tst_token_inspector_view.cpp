// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// TokenInspectorView: one query's attention row, the training span, the top keys, pooled rows, exports.

#include "qcustomplot_compat.h"
#include "token_inspector_view.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTextBlock>
#include <QTextBrowser>
#include <QtTest>

using namespace entroscope;

namespace {
AttentionMap rowMajor(int n, int pool, const std::vector<float> &values)
{
    AttentionMap m;
    m.length = n;
    m.rows = m.cols = (n + pool - 1) / pool;
    m.pool = pool;
    m.pooling = pool > 1 ? AttentionMap::Pooling::Max : AttentionMap::Pooling::None;
    m.layer = 2;
    m.data = values;
    return m;
}
} // namespace

class TestTokenInspectorView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void showsTheRowAndItsTopKeys()
    {
        // 6 tokens; row 3 puts 0.5 on key 0, 0.3 on key 5, 0.2 on key 3.
        std::vector<float> v(36, 0.0f);
        v[3 * 6 + 0] = 0.5f;
        v[3 * 6 + 5] = 0.3f;
        v[3 * 6 + 3] = 0.2f;
        TokenInspectorView view;
        QVERIFY(view.isEmptyState());
        view.setRow(rowMajor(6, 1, v), 3, {"a", "b", "c", "d", "e", "f"}, 2, QStringLiteral("infoscale"));
        QVERIFY(!view.isEmptyState());
        QCOMPARE(view.query(), int64_t{3});
        QCOMPARE(view.weights(), (std::vector<float>{0.5f, 0, 0, 0.2f, 0, 0.3f}));
        QCOMPARE(view.topKeys()[0], (std::pair<int64_t, float>{0, 0.5f}));
        QCOMPARE(view.topKeys()[1], (std::pair<int64_t, float>{5, 0.3f}));
        QCOMPARE(view.topKeys()[2], (std::pair<int64_t, float>{3, 0.2f}));
        QVERIFY2(view.topKeyLines()[0].contains(QLatin1String("key 0 'a'")), qPrintable(view.topKeyLines()[0]));
        QVERIFY(view.topKeyLines()[0].contains(QStringLiteral("|i − j| = 3")));
        // The training span |i − j| < T = 2 around query 3: keys 2 … 4.
        QVERIFY(view.trainSpan()->visible());
        QCOMPARE(view.trainSpan()->topLeft->coords().x(), 1.5);
        QCOMPARE(view.trainSpan()->bottomRight->coords().x(), 4.5);
        QCOMPARE(view.rowGraph()->data()->size(), 6);
        const QStringList csv = view.csv().split('\n', Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 7);
        QCOMPARE(csv[1], QStringLiteral("3,0,0.5"));
        const QJsonObject j = view.json();
        QCOMPARE(j["query"].toInt(), 3);
        QCOMPARE(j["layer"].toInt(), 2);
        QCOMPARE(j["top_keys"].toArray()[0].toObject()["key"].toInt(), 0);
    }

    void textPaneHighlightsTheAttendedTokensAndPicksAQuery()
    {
        // Row 3 of 6 tokens: 0.5 on 'a', 0.3 on 'f', 0.2 on 'd'.
        std::vector<float> v(36, 0.0f);
        v[3 * 6 + 0] = 0.5f;
        v[3 * 6 + 5] = 0.3f;
        v[3 * 6 + 3] = 0.2f;
        TokenInspectorView view;
        view.resize(800, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setRow(rowMajor(6, 1, v), 3, {"a", "b", "c", "d", "e", "f"}, 2, QStringLiteral("infoscale"));
        QCOMPARE(view.textWindow(), (std::pair<int64_t, int64_t>{0, 6}));
        QCOMPARE(view.highlightOf(0), 1.0);
        QCOMPARE(view.highlightOf(5), double(0.3f) / double(0.5f));
        QCOMPARE(view.highlightOf(1), 0.0);
        QCOMPARE(view.highlightOf(6), -1.0);
        QTextBrowser *text = view.tokenText();
        QVERIFY(text && text->isVisible());
        const QString plain = text->toPlainText();
        QVERIFY2(plain.contains(QLatin1String("[d]")), qPrintable(plain)); // the query is marked
        // The strongest key has the darkest background.
        const QString html = text->toHtml();
        QVERIFY2(html.contains(QLatin1String("#0072b2")), qPrintable(html));

        // A real click on token 'e' (key 4) picks it as the query.
        QSignalSpy picked(&view, &TokenInspectorView::querySelected);
        const int at = int(plain.indexOf(QLatin1Char('e')));
        QVERIFY(at >= 0);
        QTextCursor c(text->document());
        c.setPosition(at);
        const QRect r = text->cursorRect(c);
        QTest::mouseClick(text->viewport(), Qt::LeftButton, {}, QPoint(r.right() + 3, r.center().y()));
        QTRY_COMPARE(picked.size(), 1);
        QCOMPARE(picked[0][0].value<int64_t>(), int64_t{4});
    }

    void longInputsShowAWindowAroundTheQuery()
    {
        const int n = 3000;
        std::vector<float> v(size_t(n) * n, 0.0f);
        v[size_t(2500) * n + 10] = 1.0f; // attends far outside the window
        std::vector<std::string> tokens(n, "x");
        TokenInspectorView view;
        view.setRow(rowMajor(n, 1, v), 2500, tokens, 64, QStringLiteral("m"));
        const auto [first, last] = view.textWindow();
        QCOMPARE(last - first, TokenInspectorView::kTextWindow);
        QVERIFY(first <= 2500 && 2500 < last);
        QVERIFY(view.tokenText()->toPlainText().contains(QLatin1String("of 3000")));
        QCOMPARE(view.highlightOf(10), -1.0); // outside the window: not shown, the plot and list still have it
        QCOMPARE(view.topKeys()[0].first, int64_t{10});
    }

    void pooledRowsSaySo()
    {
        // 8 tokens pooled 2×2: query 5 is in cell row 2.
        std::vector<float> v(16, 0.0f);
        v[2 * 4 + 3] = 0.9f;
        TokenInspectorView view;
        view.setRow(rowMajor(8, 2, v), 5, {}, 4, QStringLiteral("m"));
        QCOMPARE(view.weights().size(), size_t{4});
        QCOMPARE(view.topKeys()[0].first, int64_t{6});
        QVERIFY(view.topKeyLines()[0].contains(QStringLiteral("keys 6–7")));
        view.clear();
        QVERIFY(view.isEmptyState());
        QVERIFY(view.csv().isEmpty());
    }
};

QTEST_MAIN(TestTokenInspectorView)
#include "tst_token_inspector_view.moc"
