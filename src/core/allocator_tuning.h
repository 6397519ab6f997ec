// TuneAllocator: glibc malloc settings for pacsport's allocation pattern, applied once
// at start-up, before any thread starts, by the server and by its preview workers.
//
// Exports and previews allocate and free buffers of 100 KB to a few MB per instance
// and per frame (file bytes, deflated copies, decoded pixels, PNGs), on every core.
// glibc's defaults hand such buffers to mmap, or trim them off the heap top once
// freed, so the kernel faults in and zeroes the same pages again for every instance:
// a third of the CPU of `pacsport preview` went there. Keeping buffers under 4 MiB in
// the heap and trimming only above 64 MiB of free top measured 2.3× faster previews
// (bench/preview_bench.sh) at the same peak RSS; larger buffers (streamed or very
// large instances) are still mapped and returned at once.
#pragma once

namespace pacsport {

void TuneAllocator();

}  // namespace pacsport
