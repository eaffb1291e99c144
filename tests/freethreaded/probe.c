/* A cffi-free loader for the native core, so that its C code can run on a
 * free-threaded CPython that cffi does not support yet (3.13t). It builds the
 * same C files into a module importable as gocon._native._core, exposing the
 * C-API types plus two helpers standing in for cffi's `lib`.
 * Used only by tests/freethreaded/run.sh. */
#include "core.h"

static PyObject *
probe_init(PyObject *m, PyObject *ncpu)
{
    char err[256];
    if (gocon_native_init((int)PyLong_AsLong(ncpu), err, sizeof err) != 0) {
        PyErr_SetString(PyExc_ImportError, err);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
probe_pool_stats(PyObject *m, PyObject *pool)
{
    gocon_pool_stats s;
    PyObject *r;
    Py_BEGIN_ALLOW_THREADS   /* as cffi would call it: without an attached thread state */
    r = gocon_pool_snapshot((uintptr_t)pool, &s, NULL, 0) == 0 ? Py_None : NULL;
    Py_END_ALLOW_THREADS
    if (r == NULL)
        return PyErr_Format(PyExc_TypeError, "not a Pool");
    return Py_BuildValue("{sKsKsKsKsKsL}", "hits", s.hits, "misses", s.misses, "puts", s.puts,
                         "victim_hits", s.victim_hits, "dropped", s.dropped, "size", (long long)s.size);
}

static PyObject *
probe_bufpool_check(PyObject *m, PyObject *bp)
{
    char err[256];
    gocon_class_stats rows[128];
    int rc, n;
    int64_t outstanding = 0;
    Py_BEGIN_ALLOW_THREADS
    rc = gocon_bufpool_check((uintptr_t)bp, err, sizeof err);
    n = gocon_bufpool_nclasses((uintptr_t)bp);
    if (rc == 0 && n >= 0 && n < 127 && gocon_bufpool_snapshot((uintptr_t)bp, rows, n + 1) == 0)
        for (int i = 0; i <= n; i++)
            outstanding += rows[i].outstanding;
    Py_END_ALLOW_THREADS
    if (rc != 0) {
        PyErr_SetString(PyExc_AssertionError, err);
        return NULL;
    }
    return PyLong_FromLongLong(outstanding);
}

static PyMethodDef methods[] = {
    {"init", probe_init, METH_O, NULL},
    {"pool_stats", probe_pool_stats, METH_O, NULL},
    {"bufpool_check", probe_bufpool_check, METH_O, NULL},
    {NULL}
};

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__core(void)
{
    PyObject *m = PyModule_Create(&def);
#ifdef Py_GIL_DISABLED
    if (m != NULL)
        PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED);
#endif
    return m;
}
