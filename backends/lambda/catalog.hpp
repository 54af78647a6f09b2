#pragma once

#include <string>
#include <vector>

#include "backends/lambda/lambda_api.hpp"
#include "core/model.hpp"

namespace backends::lambda {

// Lambda's instance types under grid's names: "gpu_8x_h100_sxm5" is 8xH100. Where two of
// Lambda's types would share a name (gpu_1x_h100_pcie, gpu_1x_h100_sxm5), the cheaper one gets
// it and the others add their variant: 1xH100, 1xH100-SXM5.
struct MappedType {
    core::InstanceType type;  // grid's view
    std::string lambda_name;
    int price_cents_per_hour = 0;
};
std::vector<MappedType> map_catalog(const std::vector<ApiInstanceType>& types);

// "gpu_8x_h100_sxm5" -> {8, "H100", "SXM5"}; gpu_count 0 when the name has another shape.
struct ParsedTypeName {
    int gpu_count = 0;
    std::string model;
    std::string variant;
};
ParsedTypeName parse_type_name(const std::string& lambda_name);

}  // namespace backends::lambda
