// mdwe-exec: runs a command under the seccomp filter systemd installs for
// MemoryDenyWriteExecute=yes.
//
// systemd 252 (src/shared/seccomp-util.c, seccomp_memory_deny_write_execute) refuses with EPERM:
// mmap() asking for PROT_WRITE and PROT_EXEC together, mprotect()/pkey_mprotect() adding
// PROT_EXEC, and shmat() with SHM_EXEC. This does the same with a raw BPF program, so a test can
// show whether GStreamer (orc's JIT in videoconvert/audioconvert) still works without systemd.
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

#if defined(__x86_64__)
constexpr unsigned kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kArch = AUDIT_ARCH_AARCH64;
#else
#error "mdwe-exec knows x86_64 and aarch64 only"
#endif

constexpr unsigned kNr = offsetof(seccomp_data, nr);
constexpr unsigned kArchOff = offsetof(seccomp_data, arch);
// The low 32 bits of argument 2 (mmap/mprotect prot, shmat flags) on little-endian machines.
constexpr unsigned kArg2 = offsetof(seccomp_data, args) + 2 * sizeof(__u64);

sock_filter stmt(unsigned short code, unsigned k)
{
    return BPF_STMT(code, k);
}
sock_filter jump(unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
    return BPF_JUMP(code, k, jt, jf);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: mdwe-exec COMMAND [ARG...]\n");
        return 2;
    }
    const unsigned deny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
    const unsigned wx = PROT_WRITE | PROT_EXEC;
    // Jumps are relative: jt/jf count the instructions skipped after the current one.
    sock_filter program[] = {
        stmt(BPF_LD | BPF_W | BPF_ABS, kArchOff),                 // 0
        jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),             // 1: → 3
        stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),          // 2
        stmt(BPF_LD | BPF_W | BPF_ABS, kNr),                      // 3
        jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 3),          // 4: → 5 | 8
        stmt(BPF_LD | BPF_W | BPF_ABS, kArg2),                    // 5: prot
        stmt(BPF_ALU | BPF_AND | BPF_K, wx),                      // 6
        jump(BPF_JMP | BPF_JEQ | BPF_K, wx, 8, 7),                // 7: → deny | allow
        jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 2, 0),      // 8: → 11 | 9
        jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_pkey_mprotect, 1, 0), // 9: → 11 | 10
        jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_shmat, 2, 4),         // 10: → 13 | allow
        stmt(BPF_LD | BPF_W | BPF_ABS, kArg2),                    // 11: prot
        jump(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 3, 2),        // 12: → deny | allow
        stmt(BPF_LD | BPF_W | BPF_ABS, kArg2),                    // 13: shmflg
        jump(BPF_JMP | BPF_JSET | BPF_K, SHM_EXEC, 1, 0),         // 14: → deny | allow
        stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                 // 15: allow
        stmt(BPF_RET | BPF_K, deny),                              // 16: deny
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        std::fprintf(stderr, "mdwe-exec: cannot install the filter: %s\n", std::strerror(errno));
        return 77;
    }
    execvp(argv[1], argv + 1);
    std::fprintf(stderr, "mdwe-exec: %s: %s\n", argv[1], std::strerror(errno));
    return 127;
}
