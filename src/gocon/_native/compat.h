/* Portability and locking shims for the gocon native core.
 *
 * The core is written once for both CPython flavours:
 *   - GIL builds: every C-API method runs with the GIL held, so shard and
 *     size-class state needs no lock at all. The lock macros compile to nothing.
 *   - free-threaded builds (Py_GIL_DISABLED, 3.13t+): cffi >= 2.0 marks its
 *     modules Py_MOD_GIL_NOT_USED, so nothing serialises us. Each shard and
 *     each size class carries a PyMutex; per-object state (a Buffer's block
 *     pointer and export count) is guarded by the object's critical section.
 *
 * Lock order (free-threaded only): a Buffer's critical section may be held
 * while a size-class mutex is taken, never the reverse. No gocon lock is ever
 * held while Python code runs (new(), reset(), __del__ from a Py_DECREF), so
 * re-entrant calls from that code cannot deadlock.
 */
#ifndef GOCON_COMPAT_H
#define GOCON_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#ifdef Py_GIL_DISABLED
#  define GOCON_FREE_THREADED 1
typedef PyMutex gocon_lock;
#  define GOCON_LOCK(m)   PyMutex_Lock(m)
#  define GOCON_UNLOCK(m) PyMutex_Unlock(m)
#  define GOCON_BEGIN_CS(o) Py_BEGIN_CRITICAL_SECTION(o);
#  define GOCON_END_CS()    Py_END_CRITICAL_SECTION();
#else
#  define GOCON_FREE_THREADED 0
typedef struct { char unused; } gocon_lock;
#  define GOCON_LOCK(m)   ((void)(m))
#  define GOCON_UNLOCK(m) ((void)(m))
#  define GOCON_BEGIN_CS(o) {
#  define GOCON_END_CS()    }
#endif

/* initial-exec: a thread-local read is one %fs-relative load instead of a
 * __tls_get_addr call. The core keeps only a few bytes of TLS, well within
 * the static TLS surplus that glibc reserves for dlopen()ed modules. */
#if defined(_MSC_VER)
#  define GOCON_TLS __declspec(thread)
#  define GOCON_ALIGNED(n) __declspec(align(n))
#else
#  if defined(__linux__)
#    define GOCON_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#  else
#    define GOCON_TLS _Thread_local
#  endif
#  define GOCON_ALIGNED(n) __attribute__((aligned(n)))
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define GOCON_LIKELY(x)   __builtin_expect(!!(x), 1)
#  define GOCON_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define GOCON_LIKELY(x)   (x)
#  define GOCON_UNLIKELY(x) (x)
#endif

#endif /* GOCON_COMPAT_H */
