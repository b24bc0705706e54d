// glibc's allocator set up for callboxd before main(): two arenas and a fixed mmap threshold, so
// that what a call's streaming threads allocated goes back to the system when the call ends.
//
// Every call starts and ends streaming threads (webrtcbin's, libnice's, the encoders', the
// queues'). With glibc 2.36's defaults each thread that allocates gets an arena of its own (up
// to 8 per core), and the mmap threshold rises to the size of the largest block freed (up to
// 32 MiB), after which video frames and encoder buffers come from the arenas instead of mmap()
// and leave holes behind that malloc keeps. In the soak benchmark (bench/soak/run.mjs) RSS grew
// by 89 MB over 200 call cycles, while the blocks in use grew by under 4 MB: the rest was free
// memory malloc kept. With both settings RSS stays flat (docs/benchmarks.md, "Soak").
//
// A user's own MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES wins: nothing is set
// then.
//
// Transparent huge pages are turned off for the process (whatever the environment): x264 asks
// for them (madvise) on every allocation of 1.75 MiB or more, i.e. every 720p frame it keeps,
// and each then costs a whole resident 2 MiB page where the frame touches less; a board's
// default THP mode ("madvise", as here) honours that. See docs/benchmarks.md, "Memory".
#include <malloc.h>
#include <sys/prctl.h>

#include <cstdlib>
#include <initializer_list>

namespace {

constexpr int kArenas = 2;
constexpr int kMmapThresholdBytes = 128 * 1024; // glibc's initial value, kept from rising

__attribute__((constructor)) void tune_malloc()
{
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    for (const char *name : {"MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"})
        if (std::getenv(name))
            return;
    mallopt(M_ARENA_MAX, kArenas);
    mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
}

} // namespace
