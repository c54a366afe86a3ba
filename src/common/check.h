// SP_CHECK: an invariant that "cannot" fail. It aborts with the location instead of
// continuing with a silent default.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SP_CHECK(cond)                                                                \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)
