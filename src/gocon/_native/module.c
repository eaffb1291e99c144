/* One-time initialisation of the native core, called from Python through
 * cffi (`lib.gocon_native_init`) right after the cffi module is imported. It
 * creates the C-API types and adds them to that module, where the pure-Python
 * layer (gocon.pool, gocon.bufferpool) picks them up. */
#define _GNU_SOURCE
#include "core.h"
#include <stdio.h>
#include <string.h>
#if defined(__linux__)
#  include <sched.h>
#  define GOCON_HAVE_GETCPU 1
#endif

int gocon_shard_count = 1;
GOCON_TLS unsigned gocon_tl_shard = 0;
GOCON_TLS unsigned gocon_tl_budget = 0;

/* Free-threaded builds re-read the CPU more often: there the shard is what
 * keeps two threads off one mutex. Under the GIL it only buys locality. */
#define GOCON_SHARD_REFRESH (GOCON_FREE_THREADED ? 16u : 64u)

unsigned
gocon_refresh_shard(void)
{
    long cpu = -1;
#ifdef GOCON_HAVE_GETCPU
    cpu = sched_getcpu();
#endif
    if (cpu < 0) {
        /* No CPU number: spread threads by the address of their TLS block. */
        cpu = (long)(((uintptr_t)&gocon_tl_shard >> 6) & 0x7fffffff);
    }
    gocon_tl_shard = (unsigned)(cpu % gocon_shard_count);
    gocon_tl_budget = GOCON_SHARD_REFRESH - 1;
    return gocon_tl_shard;
}

static int initialised = 0;

int
gocon_native_init(int ncpu, char *err, size_t errlen)
{
    PyGILState_STATE st = PyGILState_Ensure();
    int rc = 0;
    if (!initialised) {
        gocon_shard_count = ncpu < 1 ? 1 : (ncpu > 256 ? 256 : ncpu);
        PyObject *name = PyUnicode_FromString("gocon._native._core");
        PyObject *mod = name ? PyImport_GetModule(name) : NULL;
        Py_XDECREF(name);
        if (mod == NULL && !PyErr_Occurred())
            PyErr_SetString(PyExc_ImportError, "gocon._native._core is not in sys.modules");
        if (mod == NULL || gocon_pool_init_type(mod) < 0 || gocon_bufpool_init_types(mod) < 0
            || gocon_semcount_init_type(mod) < 0)
            rc = -1;
        Py_XDECREF(mod);
        if (rc < 0) {
            /* cffi cannot carry a Python exception back: hand over its text. */
#if PY_VERSION_HEX >= 0x030C0000
            PyObject *exc = PyErr_GetRaisedException();
#else
            PyObject *t, *exc, *tb;
            PyErr_Fetch(&t, &exc, &tb);
            PyErr_NormalizeException(&t, &exc, &tb);
            Py_XDECREF(t);
            Py_XDECREF(tb);
#endif
            PyObject *s = exc ? PyObject_Str(exc) : NULL;
            const char *msg = s ? PyUnicode_AsUTF8(s) : NULL;
            snprintf(err, errlen, "%s", msg ? msg : "unknown error");
            Py_XDECREF(s);
            Py_XDECREF(exc);
            PyErr_Clear();
        }
        else {
            initialised = 1;
        }
    }
    PyGILState_Release(st);
    return rc;
}

int gocon_free_threaded(void) { return GOCON_FREE_THREADED; }
int gocon_nshards(void) { return gocon_shard_count; }

int
gocon_current_shard(void)
{
    return (int)gocon_refresh_shard();
}
