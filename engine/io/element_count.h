// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once
// The element count of a shape read from a file, bounded by what the file holds: the product is checked
// dimension by dimension, so a hostile shape can neither overflow 64 bits nor make a reader allocate
// more than the data it has. Shared by the .npy and safetensors readers.

#include <cstdint>
#include <optional>
#include <vector>

namespace entroscope {

/// The product of `shape` when every dimension is >= 0 and the product is at most `limit`; nullopt
/// otherwise. A shape with a zero dimension has 0 elements, whatever the other dimensions are.
inline std::optional<uint64_t> boundedElementCount(const std::vector<int64_t> &shape, uint64_t limit)
{
    for (const int64_t d : shape) {
        if (d < 0)
            return std::nullopt;
        if (d == 0)
            return uint64_t{0};
    }
    uint64_t count = 1;
    for (const int64_t d : shape) {
        if (count > limit / static_cast<uint64_t>(d))
            return std::nullopt;
        count *= static_cast<uint64_t>(d);
    }
    return count;
}

} // namespace entroscope
