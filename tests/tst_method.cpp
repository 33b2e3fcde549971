// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Method parsing, presets, canonical strings and the closed-form factors of METHODS.md.

#include "io/config.h"
#include "errors.h"
#include "model/method.h"
#include "test_util.h"

using namespace entroscope;

class TestMethod : public QObject
{
    Q_OBJECT

    // What a softmax checkpoint without CosScale says about its methods (as GauConfig::methodDefaults gives).
    static MethodDefaults plainConfig()
    {
        MethodDefaults c;
        c.normalization = "softmax";
        return c;
    }
    static MethodDefaults cosConfig()
    {
        MethodDefaults c = plainConfig();
        c.cosScale = true;
        c.cosScaleValue = 32;
        return c;
    }

private Q_SLOTS:
    void presets_data()
    {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<bool>("cos");
        QTest::addColumn<QString>("expected");
        QTest::newRow("native plain") << "native" << false << "softmax|plain|rope";
        QTest::newRow("native cos") << "native" << true << "softmax|cosscale:32|rope";
        // A preset sets only the axes it names (METHODS.md §4): on a CosScale checkpoint the others stay CosScale.
        QTest::newRow("extrapolate") << "extrapolate" << false << "softmax|plain|rope";
        QTest::newRow("extrapolate keeps cosscale") << "extrapolate" << true << "softmax|cosscale:32|rope";
        QTest::newRow("log-n") << "log-n" << false << "softmax_plus|plain|rope";
        QTest::newRow("logn") << "logn" << false << "logn|plain|rope";
        QTest::newRow("infoscale") << "infoscale" << false << "infoscale|plain|rope";
        QTest::newRow("infoscale keeps cosscale") << "infoscale" << true << "infoscale|cosscale:32|rope";
        QTest::newRow("ssmax default s = 1/ln T") << "ssmax" << false << "ssmax:0.24044917348149392|plain|rope";
        QTest::newRow("rerope keeps cosscale") << "rerope" << true << "softmax|cosscale:32|rerope:64";
        QTest::newRow("window keeps cosscale") << "window" << true << "softmax|cosscale:32|window:64";
        QTest::newRow("cosscale default S") << "cosscale" << false << "softmax|cosscale:128|rope";
        QTest::newRow("cosscale checkpoint S") << "cosscale" << true << "softmax|cosscale:32|rope";
        QTest::newRow("infoscale+cosscale") << "infoscale+cosscale" << true << "infoscale|cosscale:32|rope";
        QTest::newRow("pi") << "pi" << false << "softmax|plain|pi";
        QTest::newRow("ntk") << "ntk" << false << "softmax|plain|ntk";
        QTest::newRow("yarn") << "yarn" << false << "softmax|plain|yarn";
        QTest::newRow("rerope") << "rerope" << false << "softmax|plain|rerope:64";
        QTest::newRow("window") << "window" << false << "softmax|plain|window:64";
        QTest::newRow("alibi") << "alibi" << false << "softmax|plain|alibi:0.00390625";
        QTest::newRow("streamingllm") << "streamingllm" << false << "softmax|plain|streamingllm:4:64";
        QTest::newRow("lminfinite") << "lminfinite" << false << "softmax|plain|lminfinite:4:64";
    }
    void presets()
    {
        QFETCH(QString, preset);
        QFETCH(bool, cos);
        QFETCH(QString, expected);
        const auto s = Method::preset(preset.toStdString(), cos ? cosConfig() : plainConfig(), 64).spec();
        QCOMPARE(QString::fromStdString(s.temperature + "|" + s.qk + "|" + s.position), expected);
    }

    void everyPresetIsListed()
    {
        QCOMPARE(presetInfos().size(), size_t{16});
        for (const auto &p : presetInfos()) {
            QVERIFY(!p.description.empty());
            Method::preset(p.name, plainConfig(), 64); // must not throw
        }
    }

    void parameterisedForms_data()
    {
        QTest::addColumn<QString>("qk");
        QTest::addColumn<QString>("position");
        QTest::addColumn<QString>("expected");
        QTest::newRow("cosscale:4") << "cosscale:4" << "rope" << "cosscale:4|rope";
        QTest::newRow("cosscale:0.5") << "cosscale:0.5" << "rope" << "cosscale:0.5|rope";
        QTest::newRow("rerope:8") << "plain" << "rerope:8" << "plain|rerope:8";
        QTest::newRow("window:5") << "plain" << "window:5" << "plain|window:5";
        QTest::newRow("alibi:0.1") << "plain" << "alibi:0.1" << "plain|alibi:0.1";
        QTest::newRow("streamingllm:2") << "plain" << "streamingllm:2" << "plain|streamingllm:2:64";
        QTest::newRow("streamingllm:2:8") << "plain" << "streamingllm:2:8" << "plain|streamingllm:2:8";
        QTest::newRow("lminfinite:0:8") << "plain" << "lminfinite:0:8" << "plain|lminfinite:0:8";
    }
    void parameterisedForms()
    {
        QFETCH(QString, qk);
        QFETCH(QString, position);
        QFETCH(QString, expected);
        const auto s = Method::parse("softmax", qk.toStdString(), position.toStdString(), plainConfig(), 64).spec();
        QCOMPARE(QString::fromStdString(s.qk + "|" + s.position), expected);
    }

    void invalidParameters_data()
    {
        QTest::addColumn<QString>("temperature");
        QTest::addColumn<QString>("qk");
        QTest::addColumn<QString>("position");
        QTest::addColumn<QString>("flag");
        QTest::newRow("rerope:0") << "softmax" << "plain" << "rerope:0" << "--position";
        QTest::newRow("window:-3") << "softmax" << "plain" << "window:-3" << "--position";
        QTest::newRow("window:2.5") << "softmax" << "plain" << "window:2.5" << "--position";
        QTest::newRow("alibi:-1") << "softmax" << "plain" << "alibi:-1" << "--position";
        QTest::newRow("alibi:x") << "softmax" << "plain" << "alibi:x" << "--position";
        QTest::newRow("streamingllm:1:2:3") << "softmax" << "plain" << "streamingllm:1:2:3" << "--position";
        QTest::newRow("rope:3") << "softmax" << "plain" << "rope:3" << "--position";
        QTest::newRow("unknown position") << "softmax" << "plain" << "spiral" << "--position";
        QTest::newRow("cosscale:abc") << "softmax" << "cosscale:abc" << "rope" << "--qk";
        QTest::newRow("cosscale:0") << "softmax" << "cosscale:0" << "rope" << "--qk";
        QTest::newRow("unknown qk") << "softmax" << "l2" << "rope" << "--qk";
        QTest::newRow("unknown temperature") << "hot" << "plain" << "rope" << "--temperature";
    }
    void invalidParameters()
    {
        QFETCH(QString, temperature);
        QFETCH(QString, qk);
        QFETCH(QString, position);
        QFETCH(QString, flag);
        try {
            Method::parse(temperature.toStdString(), qk.toStdString(), position.toStdString(), plainConfig(), 64);
            QFAIL("no error");
        } catch (const Error &e) {
            const QString msg = e.what();
            QVERIFY2(msg.startsWith(flag), qPrintable(msg));
            QVERIFY2(!msg.contains('\n'), qPrintable(msg));
        }
    }

    void unknownPresetListsTheKnownOnes()
    {
        try {
            Method::preset("magic", plainConfig(), 64);
            QFAIL("no error");
        } catch (const Error &e) {
            QVERIFY(QString(e.what()).contains("infoscale+cosscale"));
        }
    }

    void infoScaleFactor()
    {
        QCOMPARE(temperatureFactor(Temperature::InfoScale, 64, 64, 128), 1.0);
        QVERIFY(std::fabs(temperatureFactor(Temperature::InfoScale, 4096, 64, 128) - 1.39179) < 5e-6);
        QVERIFY(temperatureFactor(Temperature::InfoScale, 32, 64, 128) < 1.0);
    }

    void otherTemperatures()
    {
        QVERIFY(std::fabs(temperatureFactor(Temperature::SoftmaxPlus, 15, 64, 128) - std::log(15.0) / std::log(512.0)) < 1e-12);
        QCOMPARE(temperatureFactor(Temperature::LogN, 32, 64, 128), 1.0); // never below 1
        QVERIFY(std::fabs(temperatureFactor(Temperature::LogN, 4096, 64, 128) - 2.0) < 1e-12);
        QCOMPARE(temperatureFactor(Temperature::Softmax, 4096, 64, 128), 1.0);
    }

    void scalableSoftmax()
    {
        // ssmax:s is τ = s·ln(n_i); its default s = 1/ln T gives τ(T) = 1 (logn without the clamp at 1).
        const auto m = Method::preset("ssmax", plainConfig(), 64);
        QVERIFY(std::fabs(m.tau(64, 64, 128) - 1.0) < 1e-12);
        QVERIFY(std::fabs(m.tau(4096, 64, 128) - 2.0) < 1e-12);
        QVERIFY(m.tau(16, 64, 128) < 1.0); // unlike logn, below 1 under T
        const auto s = Method::parse("ssmax:0.5", "", "", plainConfig(), 64);
        QCOMPARE(QString::fromStdString(s.spec().temperature), QString("ssmax:0.5"));
        QVERIFY(std::fabs(s.tau(100, 64, 128) - 0.5 * std::log(100.0)) < 1e-12);
        QVERIFY_THROWS_EXCEPTION(Error, Method::parse("ssmax:0", "", "", plainConfig(), 64));
        QVERIFY_THROWS_EXCEPTION(Error, Method::parse("softmax:2", "", "", plainConfig(), 64));
    }

    void visibleKeyCountMatchesTheMask_data()
    {
        QTest::addColumn<QString>("position");
        QTest::newRow("window:3") << "window:3";
        QTest::newRow("window:1") << "window:1";
        QTest::newRow("window:100") << "window:100";
        QTest::newRow("streamingllm:2:3") << "streamingllm:2:3";
        QTest::newRow("streamingllm:6:2") << "streamingllm:6:2";
        QTest::newRow("lminfinite:4:5") << "lminfinite:4:5";
        QTest::newRow("rope") << "rope";
    }
    void visibleKeyCountMatchesTheMask()
    {
        QFETCH(QString, position);
        const auto m = Method::parse("infoscale", "plain", position.toStdString(), plainConfig(), 64, "visible");
        for (int64_t n : {1, 2, 7, 20})
            for (int64_t i = 0; i < n; ++i) {
                int64_t count = 0;
                for (int64_t j = 0; j < n; ++j)
                    count += m.visible(i, j) ? 1 : 0;
                QCOMPARE(m.visibleKeys(i, n), count);
                QCOMPARE(m.keyCountOf(i, n), count);
            }
        const auto rows = Method::parse("infoscale", "plain", position.toStdString(), plainConfig(), 64);
        QCOMPARE(rows.keyCountOf(3, 20), int64_t{20});
        QVERIFY(rows.spec().keyCount.empty());
        QCOMPARE(QString::fromStdString(m.spec().keyCount), QString("visible"));
        QVERIFY_THROWS_EXCEPTION(Error, Method::parse("softmax", "plain", "rope", plainConfig(), 64, "some"));
    }

    void methodStrings_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("preset") << "infoscale" << "infoscale|cosscale:32|rope|";
        QTest::newRow("three axes") << "softmax,plain,rope" << "softmax|plain|rope|";
        QTest::newRow("empty axes are native") << ",,rerope:8" << "softmax|cosscale:32|rerope:8|";
        QTest::newRow("spaces") << " logn , cosscale:4 , window:5 " << "logn|cosscale:4|window:5|";
        QTest::newRow("key count") << "infoscale,,window,visible" << "infoscale|cosscale:32|window:64|visible";
        QTest::newRow("preset with key count") << "window,visible" << "softmax|cosscale:32|window:64|visible";
    }
    void methodStrings()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const auto s = Method::fromString(text.toStdString(), cosConfig(), 64).spec();
        QCOMPARE(QString::fromStdString(s.temperature + "|" + s.qk + "|" + s.position + "|" + s.keyCount), expected);
    }
    void badMethodStrings()
    {
        for (const char *bad : {"", "a,b", "softmax,plain", "x,y,z,w,v", "nosuch", "softmax,plain,rope,sideways"})
            QVERIFY_THROWS_EXCEPTION(Error, Method::fromString(bad, cosConfig(), 64));
    }

    void vocabularyHelpListsEverything()
    {
        const QString help = QString::fromStdString(methodVocabularyHelp());
        for (const auto &p : presetInfos())
            QVERIFY2(help.contains(QString::fromStdString("    " + p.name + " ")), p.name.c_str());
        for (const auto &v : axisValueInfos())
            QVERIFY2(help.contains(QString::fromStdString(v.value)), v.value.c_str());
    }

    void formulasStateTheActiveConstants()
    {
        const MethodDefaults c = plainConfig();
        const auto f = methodFormulas(Method::preset("infoscale", c, 64), 4096, 32, 64);
        QCOMPARE(f.size(), size_t{3});
        QVERIFY2(QString::fromStdString(f[0]).contains("= 1.3308 at n = 4096, d = 32, T = 64"), f[0].c_str());
        QVERIFY(QString::fromStdString(f[0]).contains("Li et al. 2025"));
        const auto y = methodFormulas(Method::preset("yarn", c, 64), 4096, 128, 64);
        QVERIFY2(QString::fromStdString(y[2]).contains("lo = 0, hi = 17"), y[2].c_str());
        QVERIFY2(QString::fromStdString(y[2]).contains("2.0047"), y[2].c_str()); // (0.1 ln 64 + 1)² = 2.00475
        const auto w = methodFormulas(Method::preset("window", c, 64), 4096, 32, 64);
        QVERIFY2(QString::fromStdString(w[2]).contains("127 keys"), w[2].c_str());
        const auto s = methodFormulas(Method::preset("ssmax", c, 64), 4096, 32, 64);
        QVERIFY2(QString::fromStdString(s[0]).contains("= 2.0000"), s[0].c_str());
    }

    void untrainedAxesAreNamed()
    {
        // The checkpoint's own axes: nothing to say.
        QVERIFY(untrainedAxes(Method::preset("rerope", cosConfig(), 64), cosConfig()).empty());
        QVERIFY(untrainedAxes(Method::preset("infoscale", plainConfig(), 64), plainConfig()).size() == 1);
        // CosScale removed from a CosScale checkpoint, or added to a softmax one.
        const auto removed = untrainedAxes(Method::fromString("softmax,plain,rope", cosConfig(), 64), cosConfig());
        QCOMPARE(removed.size(), size_t{1});
        QVERIFY2(QString::fromStdString(removed[0]).contains("removes CosScale"), removed[0].c_str());
        const auto added = untrainedAxes(Method::preset("cosscale", plainConfig(), 64), plainConfig());
        QCOMPARE(added.size(), size_t{1});
        QVERIFY(QString::fromStdString(added[0]).contains("without CosScale"));
        QVERIFY(untrainedAxes(Method::fromString(",cosscale:4,", cosConfig(), 64), cosConfig())[0].find("S = 32")
                != std::string::npos);
    }

    void yarnRamp()
    {
        int64_t lo = -1, hi = -1;
        yarnRampLimits(128, 64, 10000.0, lo, hi);
        QCOMPARE(lo, int64_t{0});
        QCOMPARE(hi, int64_t{17});
    }

    void visibility()
    {
        const auto w = Method::parse("softmax", "plain", "window:3", plainConfig(), 64);
        QVERIFY(w.visible(10, 8));
        QVERIFY(!w.visible(10, 7));
        QVERIFY(w.visible(7, 9));
        const auto s = Method::parse("softmax", "plain", "streamingllm:2:3", plainConfig(), 64);
        QVERIFY(s.visible(10, 1));  // sink
        QVERIFY(!s.visible(10, 2)); // neither sink nor in window
        QVERIFY(!s.visible(0, 5));  // a sink query sees only its window (no all-seeing sink rows)
    }

    void numberFormatting()
    {
        QCOMPARE(QString::fromStdString(formatNumber(8)), QString("8"));
        QCOMPARE(QString::fromStdString(formatNumber(0.1)), QString("0.1"));
        QCOMPARE(QString::fromStdString(formatNumber(1.0 / 256)), QString("0.00390625"));
    }
};

QTEST_GUILESS_MAIN(TestMethod)
#include "tst_method.moc"
