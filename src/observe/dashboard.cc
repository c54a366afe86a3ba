#include "observe/dashboard.h"

namespace supportpipe::observe {

const DashboardAsset* FindDashboardAsset(std::string_view path) {
  if (path == "/" || path == "/dashboard" || path == "/dashboard/") path = "/dashboard/index.html";
  for (size_t i = 0; i < kDashboardAssetCount; ++i) {
    if (kDashboardAssets[i].path == path) return &kDashboardAssets[i];
  }
  return nullptr;
}

}  // namespace supportpipe::observe
