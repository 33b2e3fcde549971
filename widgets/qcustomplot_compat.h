// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Include <qcustomplot.h> through this header, never directly.
// The project builds with QT_NO_KEYWORDS (Torch headers use `slots`), but QCustomPlot 2.1's header
// declares its signals with the `signals:` keyword and uses `foreach` in inline templates. Both
// keywords are mapped to their Q_ macros for the duration of the include only.

#if defined(QT_NO_KEYWORDS) && !defined(signals)
#define signals Q_SIGNALS
#define ENTROSCOPE_QCP_UNDEF_SIGNALS
#endif
#if defined(QT_NO_KEYWORDS) && !defined(foreach)
#define foreach Q_FOREACH
#define ENTROSCOPE_QCP_UNDEF_FOREACH
#endif

#include <qcustomplot.h>

#ifdef ENTROSCOPE_QCP_UNDEF_SIGNALS
#undef signals
#undef ENTROSCOPE_QCP_UNDEF_SIGNALS
#endif
#ifdef ENTROSCOPE_QCP_UNDEF_FOREACH
#undef foreach
#undef ENTROSCOPE_QCP_UNDEF_FOREACH
#endif
