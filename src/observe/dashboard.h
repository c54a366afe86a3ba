// The dashboard's files (src/observe/dashboard/), compiled into the binary by
// cmake/embed.cmake, so that `serve` shows it at "/" with no files and no CDN at run time.
//
//   if (const DashboardAsset* a = FindDashboardAsset(request.Path())) respond(a->body);
#pragma once

#include <cstddef>
#include <string_view>

namespace supportpipe::observe {

struct DashboardAsset {
  std::string_view path;  // "/dashboard/app.js"
  std::string_view content_type;
  std::string_view body;
};

extern const DashboardAsset kDashboardAssets[];
extern const size_t kDashboardAssetCount;

// The asset served at `path` ("/" is the page itself); nullptr for any other path.
const DashboardAsset* FindDashboardAsset(std::string_view path);

}  // namespace supportpipe::observe
