// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Reading state dicts from PyTorch checkpoint files without executing anything from them.

#include <torch/types.h>

#include <map>
#include <string>

namespace entroscope {

/// Tensors by key, each a contiguous float32 copy (fp16/bf16/fp64 are converted; views and
/// transposed strides are materialised). Tensors that shared a storage in the file stay correct
/// but no longer share memory.
using StateDict = std::map<std::string, torch::Tensor>;

/// How the readers hand out 16-bit floating-point tensors.
enum class HalfTensors
{
    ToFloat32, ///< converted to float32 copies (safetensors: the mapped pages dropped once converted)
    Keep,      ///< kept in their stored dtype (F16/BF16), converted by the caller
};

/// Reads a `torch.save` zip file (PyTorch >= 1.6) with a restricted protocol-2..5 unpickler over
/// caffe2's PyTorchStreamReader. Only the globals a state dict needs are accepted
/// (collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.*Storage);
/// any other global (os.system, builtins.eval, ...) is refused before anything runs. The top-level
/// object must be a dict; non-tensor values are skipped. Throws Error naming `path` and the reason
/// (legacy format, truncated zip, forbidden global, out-of-bounds view, ...). Tensors are float32 (F16/BF16/F64
/// storages converted) or, with HalfTensors::Keep, F16/BF16 ones keep their dtype. The records are read into
/// memory (not mapped); float32 and kept 16-bit tensors share them without a copy.
StateDict readTorchZip(const std::string &path, HalfTensors half = HalfTensors::ToFloat32);

/// Reads a `model.safetensors` file (F32/F16/BF16/F64 tensors). F32 tensors are views of the memory-mapped
/// file; F16/BF16 ones are converted to float32 or, with HalfTensors::Keep, views too; F64 is converted to
/// float32. Throws Error naming `path`.
StateDict readSafetensors(const std::string &path, HalfTensors half = HalfTensors::ToFloat32);

/// Drops from memory the pages wholly inside [p, p + bytes) when the range lies in a file readSafetensors
/// mapped that is still mapped; any other memory is left alone. Those pages are clean copies of the file
/// (nothing writes to a mapped tensor), so a later read faults them in again from the page cache. For
/// weights used one layer at a time: a checkpoint larger than the memory one layer needs is then not
/// resident whole while each layer computes.
void releaseMappedPages(const void *p, uint64_t bytes);

/// Writes a state dict so that Python's `torch.load` returns a dict of float32 tensors
/// (zip format, pickle protocol 2). Writes to `path + ".partial"` then renames. Throws Error.
void writeTorchZip(const std::string &path, const StateDict &tensors);

/// Writes a `model.safetensors` file: an 8-byte little-endian header length, the JSON header (tensor name →
/// dtype F32, shape, data_offsets; keys in sorted order, `__metadata__` {"format": "pt"} as Hugging Face writes
/// it) padded with spaces to a multiple of 8, then the float32 data in header order. Each tensor is written
/// as its own float32 copy (tied tensors must not be passed twice: safetensors refuses shared storage).
/// Written to `path + ".partial"` then renamed. Throws Error naming `path`.
void writeSafetensors(const std::string &path, const StateDict &tensors);

} // namespace entroscope
