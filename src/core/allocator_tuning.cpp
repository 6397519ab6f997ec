#include "core/allocator_tuning.h"

#include <malloc.h>

namespace pacsport {

void TuneAllocator() {
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace pacsport
