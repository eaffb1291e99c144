/* Pool: Go's sync.Pool for Python objects.
 *
 * Layout (Go's poolLocal): one shard per CPU, each holding two generations.
 *   live   = a one-object `private` fast slot + a growable stack
 *   victim = the live generation of the previous flip
 * get(): own shard's live (private, then stack) -> other shards' live
 *        (stealing) -> victims, own shard first -> new().
 * put(): own shard's private slot if empty, else its stack.
 * flip(): per shard, victim is dropped, live becomes victim. Called from a
 *        gc callback (gocon/_victim.py), so an idle pool drains after two
 *        full collections while a busy one refills its live generation.
 *
 * Invariants: every PyObject* stored in a shard is a strong reference, and
 * an object is stored in at most one slot. A reference leaves a shard only
 * while that shard's lock is held (no-op under the GIL), and is released
 * (Py_DECREF) only after the lock is dropped: a __del__ that re-enters the
 * pool finds consistent state and no held lock.
 */
#include "core.h"
#include <structmember.h>

typedef struct {
    PyObject **items;
    Py_ssize_t n, cap;
} objstack;

typedef struct GOCON_ALIGNED(64) {
    gocon_lock lock;
    PyObject *private_;
    objstack live;
    PyObject *vprivate;
    objstack victim;
    uint64_t hits, misses, puts, victim_hits, dropped;
} shard;

typedef struct {
    PyObject_HEAD
    PyObject *weakreflist;
    PyObject *new_;          /* callable or NULL */
    PyObject *reset;         /* callable or NULL */
    PyObject *kind;          /* type or NULL */
    Py_ssize_t max_idle;     /* -1: unbounded */
    Py_ssize_t shard_limit;  /* live objects one shard may hold */
    int nshards;
    void *shards_raw;
    shard *shards;           /* 64-byte aligned view of shards_raw */
    uint64_t flips;          /* under shards[0].lock */
} PoolObject;

PyTypeObject *gocon_PoolType = NULL;

/* ---- helpers ---------------------------------------------------------- */

static int
stack_push(objstack *st, PyObject *o)
{
    if (st->n == st->cap) {
        Py_ssize_t ncap = st->cap ? st->cap * 2 : 8;
        PyObject **p = PyMem_Realloc(st->items, (size_t)ncap * sizeof(PyObject *));
        if (p == NULL)
            return -1;   /* caller drops the object; put() is only an offer */
        st->items = p;
        st->cap = ncap;
    }
    st->items[st->n++] = o;
    return 0;
}

/* Take one object from a generation (private slot first). Lock held. */
static inline PyObject *
take(PyObject **private_, objstack *st)
{
    PyObject *o = *private_;
    if (o != NULL)
        *private_ = NULL;
    else if (st->n > 0)
        o = st->items[--st->n];
    return o;
}

/* Release what a flip or clear detached: outside every lock (see top). Then
 * hand the emptied array back to the shard if it has none, to spare the next
 * put() a reallocation. */
static void
release_detached(shard *s, PyObject *single, objstack dead)
{
    Py_XDECREF(single);
    for (Py_ssize_t i = 0; i < dead.n; i++)
        Py_DECREF(dead.items[i]);
    if (dead.items != NULL) {
        GOCON_LOCK(&s->lock);
        if (s->live.items == NULL) {
            s->live.items = dead.items;
            s->live.cap = dead.cap;
            dead.items = NULL;
        }
        GOCON_UNLOCK(&s->lock);
        PyMem_Free(dead.items);
    }
}

/* ---- construction ----------------------------------------------------- */

static PyObject *
Pool_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"new", "reset", "kind", "max_idle", NULL};
    PyObject *new_ = Py_None, *reset = Py_None, *kind = Py_None, *max_idle = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O$OOO:Pool", kwlist,
                                     &new_, &reset, &kind, &max_idle))
        return NULL;
    if (new_ != Py_None && !PyCallable_Check(new_))
        return PyErr_Format(PyExc_TypeError,
            "Pool(new=...) must be a callable or None, not %.200s", Py_TYPE(new_)->tp_name);
    if (reset != Py_None && !PyCallable_Check(reset))
        return PyErr_Format(PyExc_TypeError,
            "Pool(reset=...) must be a callable or None, not %.200s", Py_TYPE(reset)->tp_name);
    if (kind != Py_None && !PyType_Check(kind))
        return PyErr_Format(PyExc_TypeError,
            "Pool(kind=...) must be a type or None, not %.200s", Py_TYPE(kind)->tp_name);
    Py_ssize_t limit = -1;
    if (max_idle != Py_None) {
        if (!PyLong_Check(max_idle) || PyBool_Check(max_idle))
            return PyErr_Format(PyExc_TypeError,
                "Pool(max_idle=...) must be an int or None, not %.200s", Py_TYPE(max_idle)->tp_name);
        limit = PyLong_AsSsize_t(max_idle);
        if (limit == -1 && PyErr_Occurred())
            return NULL;
        if (limit < 0)
            return PyErr_Format(PyExc_ValueError,
                "Pool(max_idle=...) must be >= 0, got %zd", limit);
    }

    PoolObject *self = (PoolObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->nshards = gocon_shard_count;
    self->shards_raw = PyMem_Calloc(1, (size_t)self->nshards * sizeof(shard) + 63);
    if (self->shards_raw == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->shards = (shard *)(((uintptr_t)self->shards_raw + 63) & ~(uintptr_t)63);
    self->new_ = new_ == Py_None ? NULL : Py_NewRef(new_);
    self->reset = reset == Py_None ? NULL : Py_NewRef(reset);
    self->kind = kind == Py_None ? NULL : Py_NewRef(kind);
    self->max_idle = limit;
    /* Each shard keeps at most its share, rounded up: the pool as a whole
     * may hold up to nshards-1 objects more than max_idle. */
    self->shard_limit = limit < 0 ? PY_SSIZE_T_MAX
                                  : (limit + self->nshards - 1) / self->nshards;
    return (PyObject *)self;
}

/* ---- get / put: the hot path ------------------------------------------ */

static PyObject *
pool_get_slow(PoolObject *self, shard *own)
{
    int n = self->nshards, start = (int)(own - self->shards);
    PyObject *o;
    /* Steal from the other shards' live generations. */
    for (int i = 1; i < n; i++) {
        shard *s = &self->shards[(start + i) % n];
        GOCON_LOCK(&s->lock);
        o = take(&s->private_, &s->live);
        if (o != NULL)
            s->hits++;
        GOCON_UNLOCK(&s->lock);
        if (o != NULL)
            return o;
    }
    /* Then the victims, own shard first. */
    for (int i = 0; i < n; i++) {
        shard *s = &self->shards[(start + i) % n];
        GOCON_LOCK(&s->lock);
        o = take(&s->vprivate, &s->victim);
        if (o != NULL)
            s->victim_hits++;
        GOCON_UNLOCK(&s->lock);
        if (o != NULL)
            return o;
    }
    GOCON_LOCK(&own->lock);
    own->misses++;
    GOCON_UNLOCK(&own->lock);
    if (self->new_ != NULL)
        return PyObject_CallNoArgs(self->new_);
    Py_RETURN_NONE;
}

static PyObject *
Pool_get(PoolObject *self, PyObject *Py_UNUSED(ignored))
{
    shard *s = &self->shards[gocon_shard()];
    GOCON_LOCK(&s->lock);
    PyObject *o = take(&s->private_, &s->live);
    if (GOCON_LIKELY(o != NULL)) {
        s->hits++;
        GOCON_UNLOCK(&s->lock);
        return o;
    }
    GOCON_UNLOCK(&s->lock);
    return pool_get_slow(self, s);
}

static PyObject *
Pool_put(PoolObject *self, PyObject *obj)
{
    if (obj == Py_None)
        Py_RETURN_NONE;
    if (self->kind != NULL && !PyObject_TypeCheck(obj, (PyTypeObject *)self->kind))
        return PyErr_Format(PyExc_TypeError,
            "Pool(kind=%.200s).put() got a %.200s",
            ((PyTypeObject *)self->kind)->tp_name, Py_TYPE(obj)->tp_name);
    if (self->reset != NULL) {
        /* Runs before any state is touched: reset() may re-enter the pool,
         * and if it raises the object is simply not stored. */
        PyObject *r = PyObject_CallOneArg(self->reset, obj);
        if (r == NULL)
            return NULL;
        Py_DECREF(r);
    }
    shard *s = &self->shards[gocon_shard()];
    int stored = 0;
    Py_INCREF(obj);
    GOCON_LOCK(&s->lock);
    s->puts++;
    if ((s->private_ != NULL) + s->live.n < self->shard_limit) {
        if (s->private_ == NULL) {
            s->private_ = obj;
            stored = 1;
        }
        else {
            stored = stack_push(&s->live, obj) == 0;
        }
    }
    if (!stored)
        s->dropped++;
    GOCON_UNLOCK(&s->lock);
    if (!stored)
        Py_DECREF(obj);   /* the caller still holds a reference: no __del__ here */
    Py_RETURN_NONE;
}

/* ---- generations ------------------------------------------------------ */

static PyObject *
Pool_flip(PoolObject *self, PyObject *Py_UNUSED(ignored))
{
    for (int i = 0; i < self->nshards; i++) {
        shard *s = &self->shards[i];
        GOCON_LOCK(&s->lock);
        PyObject *dead_private = s->vprivate;
        objstack dead = s->victim;
        s->vprivate = s->private_;
        s->victim = s->live;
        s->private_ = NULL;
        s->live = (objstack){NULL, 0, 0};
        s->dropped += (uint64_t)((dead_private != NULL) + dead.n);
        GOCON_UNLOCK(&s->lock);
        release_detached(s, dead_private, dead);
    }
    GOCON_LOCK(&self->shards[0].lock);
    self->flips++;
    GOCON_UNLOCK(&self->shards[0].lock);
    Py_RETURN_NONE;
}

/* Detach both generations of every shard and release them. `count` says
 * whether the objects show up as dropped (clear()) or not (teardown). */
static void
pool_drain(PoolObject *self, int count)
{
    if (self->shards == NULL)
        return;
    for (int i = 0; i < self->nshards; i++) {
        shard *s = &self->shards[i];
        GOCON_LOCK(&s->lock);
        PyObject *p1 = s->private_, *p2 = s->vprivate;
        objstack a = s->live, b = s->victim;
        s->private_ = s->vprivate = NULL;
        s->live = s->victim = (objstack){NULL, 0, 0};
        if (count)
            s->dropped += (uint64_t)((p1 != NULL) + (p2 != NULL) + a.n + b.n);
        GOCON_UNLOCK(&s->lock);
        release_detached(s, p1, a);
        release_detached(s, p2, b);
    }
}

static PyObject *
Pool_clear_method(PoolObject *self, PyObject *Py_UNUSED(ignored))
{
    pool_drain(self, 1);
    Py_RETURN_NONE;
}

/* ---- GC support -------------------------------------------------------- */

static int
visit_stack(objstack *st, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < st->n; i++)
        Py_VISIT(st->items[i]);
    return 0;
}

static int
Pool_traverse(PoolObject *self, visitproc visit, void *arg)
{
    /* No locks: traversal runs with the world stopped (free-threaded) or
     * under the GIL, and must not block. */
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->new_);
    Py_VISIT(self->reset);
    Py_VISIT(self->kind);
    if (self->shards != NULL) {
        for (int i = 0; i < self->nshards; i++) {
            shard *s = &self->shards[i];
            Py_VISIT(s->private_);
            Py_VISIT(s->vprivate);
            int r = visit_stack(&s->live, visit, arg);
            if (r == 0)
                r = visit_stack(&s->victim, visit, arg);
            if (r != 0)
                return r;
        }
    }
    return 0;
}

static int
Pool_clear(PoolObject *self)
{
    Py_CLEAR(self->new_);
    Py_CLEAR(self->reset);
    Py_CLEAR(self->kind);
    pool_drain(self, 0);
    return 0;
}

static void
Pool_dealloc(PoolObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    Pool_clear(self);
    if (self->shards != NULL) {
        for (int i = 0; i < self->nshards; i++) {
            PyMem_Free(self->shards[i].live.items);
            PyMem_Free(self->shards[i].victim.items);
        }
    }
    PyMem_Free(self->shards_raw);
    self->shards_raw = NULL;
    self->shards = NULL;
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* ---- attributes -------------------------------------------------------- */

static PyObject *
opt(PyObject *o)
{
    return Py_NewRef(o != NULL ? o : Py_None);
}

static PyObject *Pool_get_new(PoolObject *self, void *c) { return opt(self->new_); }
static PyObject *Pool_get_reset(PoolObject *self, void *c) { return opt(self->reset); }
static PyObject *Pool_get_kind(PoolObject *self, void *c) { return opt(self->kind); }
static PyObject *
Pool_get_max_idle(PoolObject *self, void *c)
{
    if (self->max_idle < 0)
        Py_RETURN_NONE;
    return PyLong_FromSsize_t(self->max_idle);
}
static PyObject *Pool_get_nshards(PoolObject *self, void *c) { return PyLong_FromLong(self->nshards); }

static PyGetSetDef Pool_getset[] = {
    {"new", (getter)Pool_get_new, NULL, "The factory called by get() on a miss, or None.", NULL},
    {"reset", (getter)Pool_get_reset, NULL, "Called on every object before put() stores it, or None.", NULL},
    {"kind", (getter)Pool_get_kind, NULL, "The type put() accepts, or None for any.", NULL},
    {"max_idle", (getter)Pool_get_max_idle, NULL, "Approximate cap on idle live objects, or None.", NULL},
    {"shards", (getter)Pool_get_nshards, NULL, "Number of per-CPU shards.", NULL},
    {NULL}
};

static PyMemberDef Pool_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(PoolObject, weakreflist), READONLY},
    {NULL}
};

static PyMethodDef Pool_methods[] = {
    {"get", (PyCFunction)Pool_get, METH_NOARGS,
     "get() -> object\n\nA pooled object, or new() on a miss (None without new)."},
    {"put", (PyCFunction)Pool_put, METH_O,
     "put(obj) -> None\n\nOffer obj back to the pool. None is ignored."},
    {"flip", (PyCFunction)Pool_flip, METH_NOARGS,
     "flip() -> None\n\nDrop the victim generation and make the live one the victim."},
    {"clear", (PyCFunction)Pool_clear_method, METH_NOARGS,
     "clear() -> None\n\nDrop every idle object, live and victim."},
    {NULL}
};

static PyType_Slot Pool_slots[] = {
    {Py_tp_new, Pool_new},
    {Py_tp_dealloc, Pool_dealloc},
    {Py_tp_traverse, Pool_traverse},
    {Py_tp_clear, Pool_clear},
    {Py_tp_methods, Pool_methods},
    {Py_tp_getset, Pool_getset},
    {Py_tp_members, Pool_members},
    {Py_tp_doc, "Native base of gocon.Pool (per-CPU sharded object pool)."},
    {0, NULL}
};

static PyType_Spec Pool_spec = {
    .name = "gocon.Pool",
    .basicsize = sizeof(PoolObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Pool_slots,
};

int
gocon_pool_init_type(PyObject *module)
{
    gocon_PoolType = (PyTypeObject *)PyType_FromSpec(&Pool_spec);
    if (gocon_PoolType == NULL)
        return -1;
    return PyModule_AddObjectRef(module, "NativePool", (PyObject *)gocon_PoolType);
}

/* ---- rare operations, through cffi -------------------------------------- */

int
gocon_pool_snapshot(uintptr_t obj, gocon_pool_stats *out, int64_t *shard_sizes, int nshards)
{
    PyGILState_STATE st = PyGILState_Ensure();
    PyObject *o = (PyObject *)obj;
    int rc = -1;
    if (o != NULL && gocon_PoolType != NULL && PyObject_TypeCheck(o, gocon_PoolType)) {
        PoolObject *self = (PoolObject *)o;
        memset(out, 0, sizeof(*out));
        for (int i = 0; i < self->nshards; i++) {
            shard *s = &self->shards[i];
            GOCON_LOCK(&s->lock);
            int64_t victim = (s->vprivate != NULL) + s->victim.n;
            int64_t live = (s->private_ != NULL) + s->live.n;
            out->hits += s->hits;
            out->misses += s->misses;
            out->puts += s->puts;
            out->victim_hits += s->victim_hits;
            out->dropped += s->dropped;
            out->size += live + victim;
            out->victim_size += victim;
            if (i == 0)
                out->flips = self->flips;
            GOCON_UNLOCK(&s->lock);
            if (shard_sizes != NULL && i < nshards)
                shard_sizes[i] = live + victim;
        }
        rc = 0;
    }
    PyGILState_Release(st);
    return rc;
}
