/* SemCount: the unit counter of gocon.Semaphore.
 *
 * gocon.Semaphore keeps its queue of waiters in Python (semaphore.py) but its
 * two numbers here: `free` (units not held) and `queued` (live waiters). Every
 * method is one indivisible step: under the GIL a C method that calls no
 * Python code cannot be interleaved with another thread; on free-threaded
 * builds each method runs inside the object's critical section. That is what
 * lets the uncontended acquire and release skip the Python-level lock: they
 * are a single take()/give() call.
 *
 * Invariant: 0 <= free <= size and queued >= 0. take() succeeds only while
 * queued == 0, so nobody overtakes a queued waiter (strict FIFO).
 *
 * Why a wake-up cannot be lost: an acquirer that must wait calls
 * take_or_queue(), which either takes the units or counts itself in `queued`
 * in the same step, and then, still holding the semaphore's Python lock,
 * appends its entry to the deque. A releaser's give() therefore either runs
 * before that step (and the acquirer takes the units) or after it (and sees
 * queued > 0, so it takes the Python lock -- which it can only get once the
 * entry is in the deque -- and serves the queue).
 */
#include "core.h"

typedef struct {
    PyObject_HEAD
    Py_ssize_t size;
    Py_ssize_t free;
    Py_ssize_t queued;
} SemCountObject;

PyTypeObject *gocon_SemCountType = NULL;

/* For ints beyond Py_ssize_t: is it below zero? (Public API only.) */
static int
negative(PyObject *arg)
{
    PyObject *zero = PyLong_FromLong(0);
    int r = zero != NULL ? PyObject_RichCompareBool(arg, zero, Py_LT) : -1;
    Py_XDECREF(zero);
    if (r < 0)
        PyErr_Clear();
    return r > 0;
}

/* n as a Py_ssize_t >= 0; -1 with an exception set otherwise. When
 * `acquiring`, n must also be <= size: a larger request could never succeed.
 * Only an exact int passes the fast test; anything else gets a precise message. */
static Py_ssize_t
units(SemCountObject *self, PyObject *arg, int acquiring)
{
    if (GOCON_UNLIKELY(!PyLong_Check(arg) || PyBool_Check(arg))) {
        PyErr_Format(PyExc_TypeError, "n must be an int, not %.200s", Py_TYPE(arg)->tp_name);
        return -1;
    }
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (GOCON_UNLIKELY(n < 0)) {
        if (n == -1 && PyErr_Occurred()) {  /* beyond Py_ssize_t: too large or too small */
            PyErr_Clear();
            if (negative(arg))
                PyErr_Format(PyExc_ValueError, "n must be >= 0, got %R", arg);
            else if (acquiring)
                PyErr_Format(PyExc_ValueError,
                    "cannot acquire %R units from a Semaphore of size %zd: it would never succeed", arg, self->size);
            else
                PyErr_Format(PyExc_ValueError, "released %R units but at most %zd can be held", arg, self->size);
            return -1;
        }
        PyErr_Format(PyExc_ValueError, "n must be >= 0, got %zd", n);
        return -1;
    }
    if (GOCON_UNLIKELY(acquiring && n > self->size)) {
        PyErr_Format(PyExc_ValueError,
            "cannot acquire %zd units from a Semaphore of size %zd: it would never succeed", n, self->size);
        return -1;
    }
    return n;
}

static PyObject *
SemCount_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *size_obj;
    if (!PyArg_UnpackTuple(args, "SemCount", 1, 1, &size_obj))
        return NULL;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "SemCount() takes no keyword arguments");
        return NULL;
    }
    if (!PyLong_Check(size_obj) || PyBool_Check(size_obj)) {
        PyErr_Format(PyExc_TypeError, "Semaphore(size) must be an int, not %.200s", Py_TYPE(size_obj)->tp_name);
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(size_obj);
    if (size == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "Semaphore(size) is out of range: %R", size_obj);
        return NULL;
    }
    if (size <= 0) {
        PyErr_Format(PyExc_ValueError, "Semaphore(size) must be >= 1, got %zd", size);
        return NULL;
    }
    SemCountObject *self = (SemCountObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->size = size;
    self->free = size;
    self->queued = 0;
    return (PyObject *)self;
}

static void
SemCount_dealloc(SemCountObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* The step behind take() and take_or_queue(): take n units if they are free
 * and nobody is queued; otherwise, when `queue`, count one more waiter. */
static inline PyObject *
take_step(SemCountObject *self, PyObject *arg, int queue)
{
    Py_ssize_t n = units(self, arg, 1);
    if (n < 0)
        return NULL;
    int ok;
    GOCON_BEGIN_CS(self)
    ok = self->queued == 0 && self->free >= n;
    if (ok)
        self->free -= n;
    else if (queue)
        self->queued++;
    GOCON_END_CS()
    return Py_NewRef(ok ? Py_True : Py_False);
}

/* take(n) -> bool: take n units if they are free and nobody is queued. */
static PyObject *
SemCount_take(SemCountObject *self, PyObject *arg)
{
    return take_step(self, arg, 0);
}

/* take_or_queue(n) -> bool: as take(n); on failure count one more waiter. */
static PyObject *
SemCount_take_or_queue(SemCountObject *self, PyObject *arg)
{
    return take_step(self, arg, 1);
}

/* give(n) -> bool: return n units; True when waiters are queued (the caller
 * must then serve them). Giving back more than is held raises ValueError and
 * changes nothing. */
static PyObject *
SemCount_give(SemCountObject *self, PyObject *arg)
{
    Py_ssize_t n = units(self, arg, 0);
    if (n < 0)
        return NULL;
    int waiters = 0;
    Py_ssize_t held = 0;
    GOCON_BEGIN_CS(self)
    held = self->size - self->free;
    if (n <= held) {
        self->free += n;
        waiters = self->queued > 0;
    }
    GOCON_END_CS()
    if (n > held) {
        PyErr_Format(PyExc_ValueError, "released %zd units but only %zd are held", n, held);
        return NULL;
    }
    return Py_NewRef(waiters ? Py_True : Py_False);
}

/* grant(n) -> bool: for the queue's head, with the Python lock held: take n
 * units and count one waiter less, if n units are free. */
static PyObject *
SemCount_grant(SemCountObject *self, PyObject *arg)
{
    Py_ssize_t n = units(self, arg, 1);
    if (n < 0)
        return NULL;
    int ok;
    GOCON_BEGIN_CS(self)
    ok = self->queued > 0 && self->free >= n;
    if (ok) {
        self->free -= n;
        self->queued--;
    }
    GOCON_END_CS()
    return Py_NewRef(ok ? Py_True : Py_False);
}

/* fits(n) -> bool: are n units free? (A queued head can only gain units while
 * it is queued: take() fails while queued > 0.) */
static PyObject *
SemCount_fits(SemCountObject *self, PyObject *arg)
{
    Py_ssize_t n = units(self, arg, 1);
    if (n < 0)
        return NULL;
    int ok;
    GOCON_BEGIN_CS(self)
    ok = self->free >= n;
    GOCON_END_CS()
    return Py_NewRef(ok ? Py_True : Py_False);
}

/* unqueue() -> None: a waiter left the queue without units. */
static PyObject *
SemCount_unqueue(SemCountObject *self, PyObject *unused)
{
    int bad;
    GOCON_BEGIN_CS(self)
    bad = self->queued <= 0;
    if (!bad)
        self->queued--;
    GOCON_END_CS()
    if (bad) {
        PyErr_SetString(PyExc_RuntimeError, "SemCount.unqueue(): no waiter is queued");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* snapshot() -> (size, held, queued), read in one step. */
static PyObject *
SemCount_snapshot(SemCountObject *self, PyObject *unused)
{
    Py_ssize_t size, free_, queued;
    GOCON_BEGIN_CS(self)
    size = self->size;
    free_ = self->free;
    queued = self->queued;
    GOCON_END_CS()
    return Py_BuildValue("(nnn)", size, size - free_, queued);
}

static PyObject *
SemCount_get_size(SemCountObject *self, void *c)
{
    return PyLong_FromSsize_t(self->size);
}

static PyGetSetDef SemCount_getset[] = {
    {"size", (getter)SemCount_get_size, NULL, "Total units.", NULL},
    {NULL}
};

static PyMethodDef SemCount_methods[] = {
    {"take", (PyCFunction)SemCount_take, METH_O,
     "take(n) -> bool\n\nTake n units if they are free and no waiter is queued."},
    {"take_or_queue", (PyCFunction)SemCount_take_or_queue, METH_O,
     "take_or_queue(n) -> bool\n\nAs take(n); when it fails, count one more queued waiter."},
    {"give", (PyCFunction)SemCount_give, METH_O,
     "give(n) -> bool\n\nReturn n units; True when waiters are queued."},
    {"grant", (PyCFunction)SemCount_grant, METH_O,
     "grant(n) -> bool\n\nFor the head waiter: take n units and count one waiter less, if they fit."},
    {"fits", (PyCFunction)SemCount_fits, METH_O,
     "fits(n) -> bool\n\nAre n units free?"},
    {"unqueue", (PyCFunction)SemCount_unqueue, METH_NOARGS,
     "unqueue() -> None\n\nA queued waiter left without units."},
    {"snapshot", (PyCFunction)SemCount_snapshot, METH_NOARGS,
     "snapshot() -> (size, held, queued)"},
    {NULL}
};

static PyType_Slot SemCount_slots[] = {
    {Py_tp_new, SemCount_new},
    {Py_tp_dealloc, SemCount_dealloc},
    {Py_tp_methods, SemCount_methods},
    {Py_tp_getset, SemCount_getset},
    {Py_tp_doc, "SemCount(size): the unit counter of gocon.Semaphore (free units, queued waiters)."},
    {0, NULL}
};

static PyType_Spec SemCount_spec = {
    .name = "gocon._native.SemCount",
    .basicsize = sizeof(SemCountObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = SemCount_slots,
};

int
gocon_semcount_init_type(PyObject *module)
{
    gocon_SemCountType = (PyTypeObject *)PyType_FromSpec(&SemCount_spec);
    if (gocon_SemCountType == NULL)
        return -1;
    return PyModule_AddObjectRef(module, "SemCount", (PyObject *)gocon_SemCountType);
}
