/* BufferPool: size-classed pool of raw byte blocks, handed out as Buffer
 * objects that export the buffer protocol.
 *
 * Size classes: min_size (a power of two), then four steps per doubling
 * (1.25x, 1.5x, 1.75x, 2x). A request is served from the smallest class that
 * fits, so at most 20% of a block is slack; plain powers of two waste up to
 * 50%, and do exactly that for the common "4 KiB payload + small header".
 *
 * Ownership: a block is owned by exactly one of (a) a size class's live or
 * victim stack, (b) one Buffer object (its `data`), or (c) nobody (freed).
 * put() moves (b) -> (a) and clears the Buffer's pointer, so a stale Buffer
 * reference can never reach a block that was handed to someone else: every
 * get() wraps the block in a fresh Buffer. put() refuses while memoryviews
 * of the Buffer are alive (exports > 0), so no view outlives its ownership.
 *
 * Locks (free-threaded only): per-class mutex for the stacks and counters;
 * the Buffer's critical section for data/exports. Order: Buffer, then class.
 */
#include "core.h"
#include <structmember.h>
#include <string.h>
#if defined(__GLIBC__)
#  include <malloc.h>
#endif

typedef struct {
    void **items;
    Py_ssize_t n, cap;
} blockstack;

typedef struct GOCON_ALIGNED(64) {
    gocon_lock lock;
    Py_ssize_t size;        /* bytes per block (0 for the oversize row) */
    Py_ssize_t max_blocks;  /* idle blocks kept at most, live + victim */
    blockstack live, victim;
    uint64_t hits, misses, puts, victim_hits, dropped, abandoned;
    int64_t outstanding;
} sizeclass;

typedef struct {
    PyObject_HEAD
    PyObject *weakreflist;
    Py_ssize_t min_size, max_size, max_retained;
    int kmin;               /* log2(min_size) */
    int nclasses;           /* classes[nclasses] counts unpooled requests */
    int zero;
    void *classes_raw;
    sizeclass *classes;
} BufferPoolObject;

typedef struct {
    PyObject_HEAD
    BufferPoolObject *pool; /* strong: blocks belong to the pool's classes */
    char *data;             /* NULL once returned */
    Py_ssize_t len;         /* bytes exposed: what get(n) asked for */
    int cls;
    Py_ssize_t exports;     /* live Py_buffer views */
} BufferObject;

PyTypeObject *gocon_BufferPoolType = NULL;
PyTypeObject *gocon_BufferType = NULL;

#define MAX_POOLED ((Py_ssize_t)1 << 40)

/* Dead Buffer objects kept for reuse (GIL builds only: the list is guarded
 * by the GIL). Every get() needs a fresh Buffer -- that is what makes stale
 * references harmless -- and skipping the allocator for it is a third of the
 * cost of get()+put(). */
#if !GOCON_FREE_THREADED
#  define BUFFER_FREELIST 64
static BufferObject *buffer_freelist[BUFFER_FREELIST];
static int buffer_freelist_n = 0;
#endif

static BufferObject *
buffer_alloc(void)
{
#ifdef BUFFER_FREELIST
    if (buffer_freelist_n > 0) {
        BufferObject *b = buffer_freelist[--buffer_freelist_n];
        PyObject_Init((PyObject *)b, gocon_BufferType);   /* refcnt 1, type ref */
        return b;
    }
#endif
    return PyObject_New(BufferObject, gocon_BufferType);
}

/* ---- size classes ------------------------------------------------------- */

static inline int
floor_log2(size_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    return 63 - __builtin_clzll((unsigned long long)m);
#else
    int k = 0;
    while (m >>= 1)
        k++;
    return k;
#endif
}

static inline int
class_index(int kmin, Py_ssize_t n)
{
    if (n <= ((Py_ssize_t)1 << kmin))
        return 0;
    size_t m = (size_t)n - 1;
    int k = floor_log2(m);                 /* 2^k <= m < 2^(k+1), k >= kmin */
    int sub = (int)((m >> (k - 2)) & 3);  /* which quarter of the doubling */
    return (k - kmin) * 4 + sub + 1;
}

static inline Py_ssize_t
class_size(int kmin, int idx)
{
    if (idx == 0)
        return (Py_ssize_t)1 << kmin;
    int k = kmin + (idx - 1) / 4, sub = (idx - 1) % 4;
    return (Py_ssize_t)(5 + sub) << (k - 2);
}

static int
block_push(blockstack *st, void *b)
{
    if (st->n == st->cap) {
        Py_ssize_t ncap = st->cap ? st->cap * 2 : 8;
        void **p = PyMem_RawRealloc(st->items, (size_t)ncap * sizeof(void *));
        if (p == NULL)
            return -1;
        st->items = p;
        st->cap = ncap;
    }
    st->items[st->n++] = b;
    return 0;
}

/* Free a detached stack's blocks (outside the class lock); give the array
 * back to the class for reuse if its live stack has none. */
static int64_t
release_blocks(sizeclass *c, blockstack dead)
{
    for (Py_ssize_t i = 0; i < dead.n; i++)
        PyMem_RawFree(dead.items[i]);
    if (dead.items != NULL) {
        GOCON_LOCK(&c->lock);
        if (c->live.items == NULL) {
            c->live.items = dead.items;
            c->live.cap = dead.cap;
            dead.items = NULL;
        }
        GOCON_UNLOCK(&c->lock);
        PyMem_RawFree(dead.items);
    }
    return (int64_t)dead.n * c->size;
}

static void *
alloc_block(BufferPoolObject *self, Py_ssize_t size)
{
    /* zero=True promises that no caller sees another's bytes, including the
     * stale heap contents a fresh malloc() may return. */
    size_t sz = size > 0 ? (size_t)size : 1;
    return self->zero ? PyMem_RawCalloc(1, sz) : PyMem_RawMalloc(sz);
}

/* ---- BufferPool construction -------------------------------------------- */

static int
size_arg(PyObject *o, const char *what, Py_ssize_t *out)
{
    if (!PyLong_Check(o))
        return PyErr_Format(PyExc_TypeError, "BufferPool(%s=...) must be an int, not %.200s",
                            what, Py_TYPE(o)->tp_name), -1;
    *out = PyLong_AsSsize_t(o);
    if (*out == -1 && PyErr_Occurred()) {
        PyErr_Format(PyExc_ValueError, "BufferPool(%s=...) is out of range", what);
        return -1;
    }
    return 0;
}

static PyObject *
BufferPool_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"min_size", "max_size", "max_retained", "zero", NULL};
    PyObject *omin = NULL, *omax = NULL, *oret = NULL;
    int zero = 0;
    Py_ssize_t min_size = 512, max_size = (Py_ssize_t)4 << 20, max_retained = (Py_ssize_t)16 << 20;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OO$Op:BufferPool", kwlist,
                                     &omin, &omax, &oret, &zero))
        return NULL;
    if ((omin && size_arg(omin, "min_size", &min_size) < 0) ||
        (omax && size_arg(omax, "max_size", &max_size) < 0) ||
        (oret && size_arg(oret, "max_retained", &max_retained) < 0))
        return NULL;
    if (min_size <= 0)
        return PyErr_Format(PyExc_ValueError, "BufferPool(min_size=%zd): must be > 0", min_size);
    if (max_size > MAX_POOLED)
        return PyErr_Format(PyExc_ValueError, "BufferPool(max_size=%zd): must be <= 2**40", max_size);
    if (min_size > max_size)
        return PyErr_Format(PyExc_ValueError,
            "BufferPool(min_size=%zd, max_size=%zd): min_size must not exceed max_size",
            min_size, max_size);
    if (max_retained < 0)
        return PyErr_Format(PyExc_ValueError,
            "BufferPool(max_retained=%zd): must be >= 0", max_retained);

    int kmin = 4;                           /* classes start at 16 bytes or more */
    while (((Py_ssize_t)1 << kmin) < min_size)
        kmin++;
    if (((Py_ssize_t)1 << kmin) > max_size)  /* e.g. min 300, max 400: one class */
        max_size = (Py_ssize_t)1 << kmin;
    int nclasses = class_index(kmin, max_size) + 1;

    BufferPoolObject *self = (BufferPoolObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->classes_raw = PyMem_Calloc(1, (size_t)(nclasses + 1) * sizeof(sizeclass) + 63);
    if (self->classes_raw == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->classes = (sizeclass *)(((uintptr_t)self->classes_raw + 63) & ~(uintptr_t)63);
    self->min_size = (Py_ssize_t)1 << kmin;
    self->max_size = max_size;
    self->max_retained = max_retained;
    self->kmin = kmin;
    self->nclasses = nclasses;
    self->zero = zero;
    for (int i = 0; i < nclasses; i++) {
        sizeclass *c = &self->classes[i];
        c->size = class_size(kmin, i);
        /* Per-class cap on idle bytes; a non-zero cap keeps at least one block. */
        c->max_blocks = max_retained / c->size;
        if (c->max_blocks == 0 && max_retained > 0)
            c->max_blocks = 1;
    }
    return (PyObject *)self;
}

/* ---- get / put: the hot path -------------------------------------------- */

static PyObject *
BufferPool_get(BufferPoolObject *self, PyObject *arg)
{
    Py_ssize_t n;
    if (GOCON_LIKELY(PyLong_Check(arg))) {
        n = PyLong_AsSsize_t(arg);
        if (n == -1 && PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "BufferPool.get(n): n is too large");
            return NULL;
        }
    }
    else if (PyIndex_Check(arg) && !PyFloat_Check(arg)) {
        n = PyNumber_AsSsize_t(arg, PyExc_ValueError);
        if (n == -1 && PyErr_Occurred())
            return NULL;
    }
    else {
        return PyErr_Format(PyExc_TypeError,
            "BufferPool.get(n): n must be an int, not %.200s", Py_TYPE(arg)->tp_name);
    }
    if (n < 0)
        return PyErr_Format(PyExc_ValueError, "BufferPool.get(n): n must be >= 0, got %zd", n);

    int cls = n > self->max_size ? self->nclasses : class_index(self->kmin, n);
    sizeclass *c = &self->classes[cls];
    void *data = NULL;
    GOCON_LOCK(&c->lock);
    if (c->live.n > 0) {
        data = c->live.items[--c->live.n];
        c->hits++;
    }
    else if (c->victim.n > 0) {
        data = c->victim.items[--c->victim.n];
        c->victim_hits++;
    }
    else {
        c->misses++;
    }
    c->outstanding++;
    GOCON_UNLOCK(&c->lock);

    if (data == NULL)
        data = alloc_block(self, cls == self->nclasses ? n : c->size);
    BufferObject *b = data ? buffer_alloc() : NULL;
    if (b == NULL) {
        PyMem_RawFree(data);
        GOCON_LOCK(&c->lock);
        c->outstanding--;
        GOCON_UNLOCK(&c->lock);
        return data ? NULL : PyErr_NoMemory();
    }
    b->pool = (BufferPoolObject *)Py_NewRef(self);
    b->data = data;
    b->len = n;
    b->cls = cls;
    b->exports = 0;
    return (PyObject *)b;
}

/* Return a block detached from its Buffer to its class (or free it). */
static void
return_block(BufferPoolObject *self, int cls, char *data, Py_ssize_t len)
{
    sizeclass *c = &self->classes[cls];
    int stored = 0;
    if (cls < self->nclasses && self->zero)
        memset(data, 0, (size_t)len);   /* the rest of the block is still zero */
    GOCON_LOCK(&c->lock);
    c->puts++;
    c->outstanding--;
    if (cls < self->nclasses && c->live.n + c->victim.n < c->max_blocks)
        stored = block_push(&c->live, data) == 0;
    if (!stored && cls < self->nclasses)
        c->dropped++;
    GOCON_UNLOCK(&c->lock);
    if (!stored)
        PyMem_RawFree(data);
}

static PyObject *
BufferPool_put(BufferPoolObject *self, PyObject *arg)
{
    if (!Py_IS_TYPE(arg, gocon_BufferType)) {
        if (PyObject_CheckBuffer(arg))
            return PyErr_Format(PyExc_ValueError,
                "BufferPool.put(): this %.200s was not issued by a BufferPool",
                Py_TYPE(arg)->tp_name);
        return PyErr_Format(PyExc_TypeError,
            "BufferPool.put() expects a Buffer from BufferPool.get(), not %.200s",
            Py_TYPE(arg)->tp_name);
    }
    BufferObject *b = (BufferObject *)arg;
    if (b->pool != self)
        return PyErr_Format(PyExc_ValueError,
            "BufferPool.put(): this buffer was issued by another BufferPool");
    char *data = NULL;
    Py_ssize_t exports = 0;
    GOCON_BEGIN_CS(b)
    exports = b->exports;
    if (b->data != NULL && exports == 0) {
        data = b->data;
        b->data = NULL;
    }
    GOCON_END_CS()
    if (data == NULL) {
        if (exports > 0)
            return PyErr_Format(PyExc_BufferError,
                "BufferPool.put(): %zd memoryview(s) or other exports of this buffer "
                "are still alive; release them first (the buffer stays yours)", exports);
        return PyErr_Format(PyExc_ValueError,
            "BufferPool.put(): this buffer was already returned to the pool");
    }
    return_block(self, b->cls, data, b->len);
    Py_RETURN_NONE;
}

/* ---- generations --------------------------------------------------------- */

static PyObject *
BufferPool_flip(BufferPoolObject *self, PyObject *Py_UNUSED(ignored))
{
    for (int i = 0; i < self->nclasses; i++) {
        sizeclass *c = &self->classes[i];
        GOCON_LOCK(&c->lock);
        blockstack dead = c->victim;
        c->victim = c->live;
        c->live = (blockstack){NULL, 0, 0};
        c->dropped += (uint64_t)dead.n;
        GOCON_UNLOCK(&c->lock);
        release_blocks(c, dead);
    }
    Py_RETURN_NONE;
}

/* Free every idle block; `count` says whether they show up as dropped. */
static int64_t
bufpool_drain(BufferPoolObject *self, int count)
{
    int64_t freed = 0;
    if (self->classes == NULL)
        return 0;
    for (int i = 0; i < self->nclasses; i++) {
        sizeclass *c = &self->classes[i];
        GOCON_LOCK(&c->lock);
        blockstack a = c->live, b = c->victim;
        c->live = c->victim = (blockstack){NULL, 0, 0};
        if (count)
            c->dropped += (uint64_t)(a.n + b.n);
        GOCON_UNLOCK(&c->lock);
        freed += release_blocks(c, a);
        freed += release_blocks(c, b);
    }
    return freed;
}

static void
BufferPool_dealloc(BufferPoolObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    bufpool_drain(self, 0);
    if (self->classes != NULL) {
        for (int i = 0; i < self->nclasses; i++) {
            PyMem_RawFree(self->classes[i].live.items);
            PyMem_RawFree(self->classes[i].victim.items);
        }
    }
    PyMem_Free(self->classes_raw);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *BP_min_size(BufferPoolObject *s, void *c) { return PyLong_FromSsize_t(s->min_size); }
static PyObject *BP_max_size(BufferPoolObject *s, void *c) { return PyLong_FromSsize_t(s->max_size); }
static PyObject *BP_max_retained(BufferPoolObject *s, void *c) { return PyLong_FromSsize_t(s->max_retained); }
static PyObject *BP_zero(BufferPoolObject *s, void *c) { return PyBool_FromLong(s->zero); }

static PyObject *
BP_class_sizes(BufferPoolObject *self, void *c)
{
    PyObject *t = PyTuple_New(self->nclasses);
    for (int i = 0; t != NULL && i < self->nclasses; i++) {
        PyObject *v = PyLong_FromSsize_t(self->classes[i].size);
        if (v == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    return t;
}

static PyObject *
BufferPool_class_for(BufferPoolObject *self, PyObject *arg)
{
    Py_ssize_t n = PyNumber_AsSsize_t(arg, PyExc_ValueError);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (n < 0)
        return PyErr_Format(PyExc_ValueError, "class_for(n): n must be >= 0, got %zd", n);
    if (n > self->max_size)
        Py_RETURN_NONE;
    return PyLong_FromSsize_t(self->classes[class_index(self->kmin, n)].size);
}

static PyGetSetDef BufferPool_getset[] = {
    {"min_size", (getter)BP_min_size, NULL, "Smallest block size (a power of two).", NULL},
    {"max_size", (getter)BP_max_size, NULL, "Largest pooled request; larger ones are served unpooled.", NULL},
    {"max_retained", (getter)BP_max_retained, NULL, "Idle bytes each size class keeps at most.", NULL},
    {"zero", (getter)BP_zero, NULL, "Whether blocks are cleared on put() (and fresh ones zeroed).", NULL},
    {"class_sizes", (getter)BP_class_sizes, NULL, "Block size of every size class, ascending.", NULL},
    {NULL}
};

static PyMemberDef BufferPool_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(BufferPoolObject, weakreflist), READONLY},
    {NULL}
};

static PyMethodDef BufferPool_methods[] = {
    {"get", (PyCFunction)BufferPool_get, METH_O,
     "get(n) -> Buffer\n\nA writable buffer of exactly n bytes from the smallest class that fits."},
    {"put", (PyCFunction)BufferPool_put, METH_O,
     "put(buf) -> None\n\nReturn a buffer from get(). The Buffer object is dead afterwards."},
    {"flip", (PyCFunction)BufferPool_flip, METH_NOARGS,
     "flip() -> None\n\nFree the victim generation and make the live one the victim."},
    {"class_for", (PyCFunction)BufferPool_class_for, METH_O,
     "class_for(n) -> int | None\n\nThe block size that get(n) would use (None: unpooled)."},
    {NULL}
};

static PyType_Slot BufferPool_slots[] = {
    {Py_tp_new, BufferPool_new},
    {Py_tp_dealloc, BufferPool_dealloc},
    {Py_tp_methods, BufferPool_methods},
    {Py_tp_getset, BufferPool_getset},
    {Py_tp_members, BufferPool_members},
    {Py_tp_doc, "Native base of gocon.BufferPool (size-classed byte-buffer pool)."},
    {0, NULL}
};

static PyType_Spec BufferPool_spec = {
    .name = "gocon.BufferPool",
    .basicsize = sizeof(BufferPoolObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = BufferPool_slots,
};

/* ---- Buffer -------------------------------------------------------------- */

static const char RETURNED_MSG[] =
    "this Buffer was returned to its BufferPool and can no longer be used";

static int
Buffer_getbuffer(BufferObject *self, Py_buffer *view, int flags)
{
    int rc;
    GOCON_BEGIN_CS(self)
    if (self->data == NULL) {
        PyErr_SetString(PyExc_ValueError, RETURNED_MSG);
        rc = -1;
    }
    else {
        rc = PyBuffer_FillInfo(view, (PyObject *)self, self->data, self->len, 0, flags);
        if (rc == 0)
            self->exports++;
    }
    GOCON_END_CS()
    return rc;
}

static void
Buffer_releasebuffer(BufferObject *self, Py_buffer *view)
{
    GOCON_BEGIN_CS(self)
    self->exports--;
    GOCON_END_CS()
}

static Py_ssize_t
Buffer_len(BufferObject *self)
{
    if (self->data == NULL) {
        PyErr_SetString(PyExc_ValueError, RETURNED_MSG);
        return -1;
    }
    return self->len;
}

static void
Buffer_dealloc(BufferObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (self->data != NULL && self->pool != NULL) {
        /* Dropped without put(): free the block, and count it so the leak
         * shows in stats() (`abandoned`). No one else can reach it. */
        sizeclass *c = &self->pool->classes[self->cls];
        GOCON_LOCK(&c->lock);
        c->outstanding--;
        c->abandoned++;
        GOCON_UNLOCK(&c->lock);
        PyMem_RawFree(self->data);
        self->data = NULL;
    }
    Py_CLEAR(self->pool);
#ifdef BUFFER_FREELIST
    if (buffer_freelist_n < BUFFER_FREELIST && tp == gocon_BufferType) {
        buffer_freelist[buffer_freelist_n++] = self;
        Py_DECREF(tp);   /* buffer_alloc's PyObject_Init takes it again */
        return;
    }
#endif
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
Buffer_repr(BufferObject *self)
{
    if (self->data == NULL)
        return PyUnicode_FromFormat("<gocon.Buffer returned to its pool at %p>", self);
    return PyUnicode_FromFormat("<gocon.Buffer %zd bytes (block %zd) at %p>", self->len,
        self->cls < self->pool->nclasses ? self->pool->classes[self->cls].size : self->len, self);
}

static PyObject *
Buffer_get_capacity(BufferObject *self, void *c)
{
    if (self->data == NULL) {
        PyErr_SetString(PyExc_ValueError, RETURNED_MSG);
        return NULL;
    }
    return PyLong_FromSsize_t(self->cls < self->pool->nclasses
                              ? self->pool->classes[self->cls].size : self->len);
}

static PyObject *Buffer_get_returned(BufferObject *self, void *c) { return PyBool_FromLong(self->data == NULL); }
static PyObject *Buffer_get_pool(BufferObject *self, void *c) { return Py_NewRef((PyObject *)self->pool); }

static PyGetSetDef Buffer_getset[] = {
    {"capacity", (getter)Buffer_get_capacity, NULL, "Size of the underlying block (>= len).", NULL},
    {"returned", (getter)Buffer_get_returned, NULL, "True once put() took the block back.", NULL},
    {"pool", (getter)Buffer_get_pool, NULL, "The BufferPool that issued this buffer.", NULL},
    {NULL}
};

static PyType_Slot Buffer_slots[] = {
    {Py_tp_dealloc, Buffer_dealloc},
    {Py_tp_repr, Buffer_repr},
    {Py_tp_getset, Buffer_getset},
    {Py_sq_length, Buffer_len},
    {Py_bf_getbuffer, Buffer_getbuffer},
    {Py_bf_releasebuffer, Buffer_releasebuffer},
    {Py_tp_doc,
     "A writable block from a BufferPool, exported through the buffer protocol.\n\n"
     "Use memoryview(buf), sock.recv_into(buf), or return it from\n"
     "BufferedProtocol.get_buffer(). After pool.put(buf) it is dead: every use\n"
     "raises ValueError, so a stale reference cannot touch reissued memory."},
    {0, NULL}
};

static PyType_Spec Buffer_spec = {
    .name = "gocon.Buffer",
    .basicsize = sizeof(BufferObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = Buffer_slots,
};

int
gocon_bufpool_init_types(PyObject *module)
{
    gocon_BufferPoolType = (PyTypeObject *)PyType_FromSpec(&BufferPool_spec);
    if (gocon_BufferPoolType == NULL)
        return -1;
    gocon_BufferType = (PyTypeObject *)PyType_FromSpec(&Buffer_spec);
    if (gocon_BufferType == NULL)
        return -1;
    if (PyModule_AddObjectRef(module, "NativeBufferPool", (PyObject *)gocon_BufferPoolType) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Buffer", (PyObject *)gocon_BufferType);
}

/* ---- rare operations, through cffi ---------------------------------------- */

static BufferPoolObject *
as_bufpool(uintptr_t obj)
{
    PyObject *o = (PyObject *)obj;
    if (o == NULL || gocon_BufferPoolType == NULL || !PyObject_TypeCheck(o, gocon_BufferPoolType))
        return NULL;
    return (BufferPoolObject *)o;
}

int
gocon_bufpool_nclasses(uintptr_t obj)
{
    PyGILState_STATE st = PyGILState_Ensure();
    BufferPoolObject *self = as_bufpool(obj);
    int n = self ? self->nclasses : -1;
    PyGILState_Release(st);
    return n;
}

int
gocon_bufpool_snapshot(uintptr_t obj, gocon_class_stats *out, int n)
{
    PyGILState_STATE st = PyGILState_Ensure();
    BufferPoolObject *self = as_bufpool(obj);
    int rc = -1;
    if (self != NULL && n == self->nclasses + 1) {
        for (int i = 0; i <= self->nclasses; i++) {
            sizeclass *c = &self->classes[i];
            gocon_class_stats *o = &out[i];
            GOCON_LOCK(&c->lock);
            o->block_size = c->size;
            o->hits = c->hits;
            o->misses = c->misses;
            o->puts = c->puts;
            o->victim_hits = c->victim_hits;
            o->dropped = c->dropped;
            o->abandoned = c->abandoned;
            o->outstanding = c->outstanding;
            o->size = c->live.n + c->victim.n;
            o->victim_size = c->victim.n;
            GOCON_UNLOCK(&c->lock);
        }
        rc = 0;
    }
    PyGILState_Release(st);
    return rc;
}

int64_t
gocon_bufpool_trim(uintptr_t obj)
{
    PyGILState_STATE st = PyGILState_Ensure();
    BufferPoolObject *self = as_bufpool(obj);
    int64_t freed = self ? bufpool_drain(self, 1) : -1;
    PyGILState_Release(st);
#if defined(__GLIBC__)
    if (freed > 0)
        malloc_trim(0);   /* hand the freed pages back to the OS */
#endif
    return freed;
}

static int
cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

/* Debug self-check: caps respected, counters sane, no block held twice. */
int
gocon_bufpool_check(uintptr_t obj, char *err, size_t errlen)
{
    PyGILState_STATE st = PyGILState_Ensure();
    BufferPoolObject *self = as_bufpool(obj);
    int rc = 0;
    void **all = NULL;
    Py_ssize_t total = 0, k = 0;
    if (self == NULL) {
        snprintf(err, errlen, "not a BufferPool");
        rc = -1;
        goto done;
    }
    for (int i = 0; i < self->nclasses; i++)
        total += self->classes[i].live.n + self->classes[i].victim.n;
    all = PyMem_RawMalloc((size_t)(total ? total : 1) * sizeof(void *));
    if (all == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto done;
    }
    for (int i = 0; i <= self->nclasses && rc == 0; i++) {
        sizeclass *c = &self->classes[i];
        GOCON_LOCK(&c->lock);
        if (c->outstanding < 0) {
            snprintf(err, errlen, "class %d: outstanding %lld < 0", i, (long long)c->outstanding);
            rc = -1;
        }
        else if (i < self->nclasses && c->live.n + c->victim.n > c->max_blocks) {
            snprintf(err, errlen, "class %d: %zd idle blocks exceed the cap %zd",
                     i, c->live.n + c->victim.n, c->max_blocks);
            rc = -1;
        }
        else if (i == self->nclasses && c->live.n + c->victim.n != 0) {
            snprintf(err, errlen, "oversize row holds blocks");
            rc = -1;
        }
        for (Py_ssize_t j = 0; rc == 0 && j < c->live.n && k < total; j++)
            all[k++] = c->live.items[j];
        for (Py_ssize_t j = 0; rc == 0 && j < c->victim.n && k < total; j++)
            all[k++] = c->victim.items[j];
        GOCON_UNLOCK(&c->lock);
    }
    if (rc == 0) {
        qsort(all, (size_t)k, sizeof(void *), cmp_ptr);
        for (Py_ssize_t j = 1; j < k; j++) {
            if (all[j] == all[j - 1] || all[j] == NULL) {
                snprintf(err, errlen, "block %p is held twice", all[j]);
                rc = -1;
                break;
            }
        }
    }
done:
    PyMem_RawFree(all);
    PyGILState_Release(st);
    return rc;
}
