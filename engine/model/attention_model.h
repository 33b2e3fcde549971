// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The model interface every family implements (GAU-α, the Llama family): analyze() runs the forward over
// one input under one method and returns the per-(layer, head) metrics and maps of METHODS.md §3/§6. The
// analysis code, the CLI and the workbench see a model through it only.

#include "analysis/result_types.h"
#include "model/method.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace entroscope {

class Tokenizer;
struct GauConfig;

/// What one analysis computes besides the forward itself.
struct AnalysisRequest
{
    Method method;
    int64_t trainLength = 64;
    bool metrics = true;            ///< per-(layer, head) metrics of METHODS.md §3
    bool mlmTop1 = true;            ///< argmax of the output logits per position (MLM, or next token for causal models)
    std::vector<int> fullMapLayers; ///< layers whose full [n, n] maps (every head) go into AnalysisResult::maps
    bool pooledMaps = false;        ///< max- and mean-pooled maps (<= maxPooledSize per side) of every layer and head
    int maxPooledSize = 1024;
    /// Called with every block of attention rows of every (layer, head) (raw weights as applied to the
    /// values): layer, head, first row, row count, n, row-major float32 data. Used to stream --maps to disk.
    std::function<void(int layer, int head, int64_t row0, int64_t rows, int64_t n, const float *data)> rowSink;
    int64_t blockRows = 0; ///< query rows per block; 0 = automatic (about 4M scores per block)
    /// Keep every layer's input (AnalysisResult::layerInputs, L·n·H floats) for attentionRows (every
    /// family) and GAU-α's one-pass jsDivergence later.
    bool keepLayerInputs = false;
    /// Compare while the rows exist: with the kept layer inputs of an analysis of the same ids and length
    /// under `jsMethod`, the mean over queries of the Jensen–Shannon divergence between that analysis's
    /// rows and this one's, per (layer, head), goes into AnalysisResult::jsDivergence. The other rows are
    /// recomputed block by block from jsInputs next to each block of this analysis (q·kᵀ and the
    /// normalisation only); no map is held and neither method runs a second forward. Same convention as
    /// jsDivergence (rows normalised to sum 1, an all-zero row the zero vector).
    std::shared_ptr<const LayerInputs> jsInputs;
    Method jsMethod;
};

/// What the CLI and the workbench need to know of a loaded model.
struct ModelInfo
{
    std::string family;   ///< "gau_alpha", "llama", "mistral", "qwen2"
    int64_t numLayers = 0;
    int64_t numHeads = 1; ///< attention maps per layer (GAU-α: 1)
    int64_t numKvHeads = 1;
    int64_t keySize = 0;  ///< d of InfoScale and CosScale (per head)
    int64_t hiddenSize = 0;
    int64_t vocabSize = 0;
    bool causal = false;  ///< causal visibility: n_i = i + 1 (METHODS.md §6)
    int64_t trainLength = 0; ///< the checkpoint's T
    std::string dir;
    std::string weightsFile;
};

class AttentionModel
{
public:
    virtual ~AttentionModel();
    virtual ModelInfo info() const = 0;
    /// What Method::parse reads of the checkpoint for its `native` axes.
    virtual const MethodDefaults &methodDefaults() const = 0;
    /// The folder's tokenizer, or null.
    virtual std::shared_ptr<const Tokenizer> tokenizer() const = 0;
    /// Runs the forward over `ids` (length n, no padding) and computes what `request` asks. Thread-safe
    /// (const); throws Error for bad ids, Cancelled when `cancel` is set. progress gets fractions in [0, 1].
    virtual AnalysisResult analyze(const std::vector<int64_t> &ids, const AnalysisRequest &request,
                                   const ProgressFn &progress = {}, const CancelToken *cancel = nullptr) const = 0;
    /// Bytes an analysis at length n is expected to need at its peak (the memory guard's estimate).
    virtual int64_t estimateAnalysisBytes(int64_t n, const AnalysisRequest &request) const = 0;
    /// The exact attention rows row0 .. row0+rows-1 of every head of one layer, recomputed from the layer
    /// inputs an analysis kept (AnalysisRequest::keepLayerInputs) under the same method and T, without
    /// running the other layers: row-major float32 [heads, rows, n] (GAU-α: one head), as applied to the
    /// values. Throws Error for a layer or a row range the inputs do not have.
    virtual std::vector<float> attentionRows(const LayerInputs &inputs, int layer, const Method &method,
                                             int64_t trainLength, int64_t row0, int64_t rows,
                                             const CancelToken *cancel = nullptr) const = 0;
    /// Per (layer, head), layer-major (GAU-α: per layer), the mean over queries of the Jensen–Shannon
    /// divergence (nats) between the attention rows of two analyses of the same input and length, each under
    /// its own method, recomputed block by block from the layer inputs both kept: no map is held, no layer
    /// runs again. Rows are normalised to sum 1 first; an all-zero row stays the zero vector (jsOfRows).
    virtual std::vector<double> jsDivergence(const LayerInputs &a, const Method &methodA, const LayerInputs &b,
                                             const Method &methodB, int64_t trainLength,
                                             const ProgressFn &progress = {},
                                             const CancelToken *cancel = nullptr) const = 0;
};

/// Opens a Hugging Face model folder by its config.json's model_type: gau_alpha (GauModel) or llama,
/// mistral, qwen2 (LlamaModel). Throws Error naming the folder and the reason.
std::shared_ptr<const AttentionModel> loadAttentionModel(const std::string &dir);

/// The one memory guard of the CLI and the workbench: throws Error ("length N needs about X of memory but
/// only Y is available") when the model's estimate plus extraBytes exceeds 90 % of what the system reports
/// available (nothing is checked where that is unknown).
void checkAnalysisMemory(const AttentionModel &model, int64_t n, const AnalysisRequest &request, int64_t extraBytes = 0);
/// The guard itself: `need` bytes for an analysis at length n against 90 % of MemAvailable.
void checkAvailableMemory(int64_t n, int64_t need);
/// Memory the system reports as available (MemAvailable), in bytes; 0 when unknown.
int64_t availableMemoryBytes();
/// "1.5 GB"-style rendering of a byte count.
std::string formatBytes(double bytes);

} // namespace entroscope
