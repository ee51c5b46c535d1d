/*
 * The guest's lock and data tool, compiled static by the test (gcc -static) and run inside the
 * initramfs, where there is no libc to link against.
 *
 *   nfscheck pattern SEED MIB        writes MIB MiB of pseudo-random bytes (xorshift64) to stdout
 *   nfscheck create-excl PATH        open(O_CREAT|O_EXCL): prints "ok" or the errno's name
 *   nfscheck FILE OP...              opens FILE (O_RDWR|O_CREAT) and runs the operations in order,
 *                                    printing one word per operation on one line, as each ends:
 *     setlk:T:START:LEN   F_SETLK       T is r (F_RDLCK), w (F_WRLCK) or u (F_UNLCK)
 *     setlkw:T:START:LEN  F_SETLKW
 *     getlk:T:START:LEN   F_GETLK       prints "unlocked" or the conflicting lock's type (r or w)
 *     ofd:T:START:LEN     F_OFD_SETLK   (open file description locks, as QEMU's file-posix takes)
 *     ofdw:T:START:LEN    F_OFD_SETLKW
 *     ofdget:T:START:LEN  F_OFD_GETLK
 *     flock:ex|sh|un|exnb|shnb  flock(2)
 *     touch:PATH          creates PATH (tells another process on this guest that we got here)
 *     wait:PATH           waits until PATH exists (another process got somewhere)
 *     close               closes FILE (every OFD and flock lock of it goes)
 *   nfscheck bench WHAT PATH N       a timed loop for bench/kernel-client-bench.sh (see bench_main)
 * A lock operation prints "ok" or the errno's name (EAGAIN, ENOLCK, ...). Each operation has
 * $NFSCHECK_TIMEOUT seconds (default 20): SIGALRM, left at its default action, kills the tool even
 * in a killable wait inside the NFS client, so a hung lock ends as exit status 142.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void word(const char *w) {
    static int first = 1;
    printf("%s%s", first ? "" : " ", w);
    fflush(stdout);
    first = 0;
}

static const char *errname(int e) {
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case ENOLCK: return "ENOLCK";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EDEADLK: return "EDEADLK";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: {
        static char b[32];
        snprintf(b, sizeof b, "E%d", e);
        return b;
    }
    }
}

static int pattern(unsigned long long seed, long mib) {
    static uint64_t buf[1 << 17];   /* 1 MiB */
    uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (long m = 0; m < mib; m++) {
        for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = x;
        }
        if (fwrite(buf, sizeof buf, 1, stdout) != 1) {
            return 1;
        }
    }
    return fflush(stdout) != 0;
}

static int lockop(int fd, int cmd, int getcmd, const char *spec) {
    char t;
    long long start, len;
    if (sscanf(spec, "%c:%lld:%lld", &t, &start, &len) != 3) {
        fprintf(stderr, "bad lock spec %s\n", spec);
        return 2;
    }
    struct flock fl = {0};
    fl.l_type = t == 'r' ? F_RDLCK : t == 'w' ? F_WRLCK : F_UNLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    if (fcntl(fd, cmd, &fl) != 0) {
        word(errname(errno));
    } else if (cmd == getcmd) {
        word(fl.l_type == F_UNLCK ? "unlocked" : fl.l_type == F_RDLCK ? "r" : "w");
    } else {
        word("ok");
    }
    return 0;
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

/*
 * nfscheck bench WHAT PATH N: N timed operations, then one line "OPS_PER_SECOND MEDIAN_US P90_US"
 * (per operation, clock_gettime around each), or "MIB_PER_SECOND" for the throughput ones.
 *   create     PATH is a directory: open(PATH/c-I, O_CREAT|O_EXCL|O_WRONLY) + close
 *   create4k   the same with a 4 KiB write before the close (cp of a small file)
 *   remove     unlink(PATH/c-I), the files create left
 *   lock       PATH is a file: fcntl F_SETLK write lock of bytes 0-99, then F_UNLCK (one pair)
 *   write      PATH is a file: N MiB written in 1 MiB writes, then close (buffered: the close
 *   writedirect   flushes); writedirect with O_DIRECT
 *   read / readdirect   N MiB read back in 1 MiB reads (read: after dropping the page cache)
 */
static int bench_main(const char *what, const char *path, long n) {
    static char block[1 << 20] __attribute__((aligned(4096)));
    memset(block, 0x5a, sizeof block);
    int throughput = strncmp(what, "write", 5) == 0 || strncmp(what, "read", 4) == 0;
    if (throughput) {
        int direct = strstr(what, "direct") != NULL, writing = what[0] == 'w';
        if (!writing && !direct) {
            int f = open("/proc/sys/vm/drop_caches", O_WRONLY);
            sync();
            if (f < 0 || write(f, "3\n", 2) != 2) {
                perror("drop_caches");
                return 1;
            }
            close(f);
        }
        double t0 = now_us();
        int fd = open(path, (writing ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY) | (direct ? O_DIRECT : 0), 0644);
        if (fd < 0) {
            perror(path);
            return 1;
        }
        for (long i = 0; i < n; i++) {
            ssize_t r = writing ? write(fd, block, sizeof block) : read(fd, block, sizeof block);
            if (r != (ssize_t) sizeof block) {
                perror(writing ? "write" : "read");
                return 1;
            }
        }
        if (close(fd) != 0) {
            perror("close");
            return 1;
        }
        printf("%.1f\n", n / ((now_us() - t0) / 1e6));
        return 0;
    }
    double *lat = calloc(n, sizeof *lat);
    char name[4096];
    int fd = -1;
    if (strcmp(what, "lock") == 0 && (fd = open(path, O_RDWR | O_CREAT, 0644)) < 0) {
        perror(path);
        return 1;
    }
    double start = now_us();
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s/c-%ld", path, i);
        double t0 = now_us();
        int ok;
        if (strncmp(what, "create", 6) == 0) {
            int f = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
            ok = f >= 0 && (strcmp(what, "create4k") != 0 || write(f, block, 4096) == 4096) && close(f) == 0;
        } else if (strcmp(what, "remove") == 0) {
            ok = unlink(name) == 0;
        } else if (strcmp(what, "lock") == 0) {
            struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
            ok = fcntl(fd, F_SETLK, &fl) == 0;
            fl.l_type = F_UNLCK;
            ok = ok && fcntl(fd, F_SETLK, &fl) == 0;
        } else {
            fprintf(stderr, "unknown bench %s\n", what);
            return 2;
        }
        if (!ok) {
            printf("FAILED %s at %ld: %s\n", what, i, errname(errno));
            return 1;
        }
        lat[i] = now_us() - t0;
    }
    double total = now_us() - start;
    qsort(lat, n, sizeof *lat, by_value);
    printf("%.1f %.0f %.0f\n", n / (total / 1e6), lat[n / 2], lat[n * 9 / 10]);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "bench") == 0) {
        return bench_main(argv[2], argv[3], strtol(argv[4], NULL, 10));
    }
    if (argc == 4 && strcmp(argv[1], "pattern") == 0) {
        return pattern(strtoull(argv[2], NULL, 10), strtol(argv[3], NULL, 10));
    }
    if (argc == 3 && strcmp(argv[1], "create-excl") == 0) {
        int f = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0644);
        printf("%s\n", f >= 0 ? "ok" : errname(errno));
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: nfscheck FILE OP... | nfscheck pattern SEED MIB\n");
        return 2;
    }
    const char *t = getenv("NFSCHECK_TIMEOUT");
    unsigned timeout = t ? (unsigned) atoi(t) : 20;
    int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        printf("open:%s\n", errname(errno));
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        const char *op = argv[i];
        alarm(timeout);
        if (strncmp(op, "setlk:", 6) == 0) {
            lockop(fd, F_SETLK, F_GETLK, op + 6);
        } else if (strncmp(op, "setlkw:", 7) == 0) {
            lockop(fd, F_SETLKW, F_GETLK, op + 7);
        } else if (strncmp(op, "getlk:", 6) == 0) {
            lockop(fd, F_GETLK, F_GETLK, op + 6);
        } else if (strncmp(op, "ofd:", 4) == 0) {
            lockop(fd, F_OFD_SETLK, F_OFD_GETLK, op + 4);
        } else if (strncmp(op, "ofdw:", 5) == 0) {
            lockop(fd, F_OFD_SETLKW, F_OFD_GETLK, op + 5);
        } else if (strncmp(op, "ofdget:", 7) == 0) {
            lockop(fd, F_OFD_GETLK, F_OFD_GETLK, op + 7);
        } else if (strncmp(op, "flock:", 6) == 0) {
            const char *m = op + 6;
            int how = strncmp(m, "ex", 2) == 0 ? LOCK_EX : strncmp(m, "sh", 2) == 0 ? LOCK_SH : LOCK_UN;
            if (strstr(m, "nb")) {
                how |= LOCK_NB;
            }
            word(flock(fd, how) == 0 ? "ok" : errname(errno == EWOULDBLOCK ? EAGAIN : errno));
        } else if (strncmp(op, "touch:", 6) == 0) {
            int f = open(op + 6, O_WRONLY | O_CREAT, 0644);
            word(f >= 0 && close(f) == 0 ? "ok" : errname(errno));
        } else if (strncmp(op, "wait:", 5) == 0) {
            struct stat st;
            struct timespec tick = {0, 10 * 1000 * 1000};
            while (stat(op + 5, &st) != 0) {
                nanosleep(&tick, NULL);   /* SIGALRM ends a wait that never comes true */
            }
            word("ok");
        } else if (strcmp(op, "close") == 0) {
            word(close(fd) == 0 ? "ok" : errname(errno));
        } else {
            fprintf(stderr, "unknown operation %s\n", op);
            return 2;
        }
        alarm(0);
    }
    printf("\n");
    return 0;
}
