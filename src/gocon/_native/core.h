/* Internal declarations shared by the native core's C files. */
#ifndef GOCON_CORE_H
#define GOCON_CORE_H

#include "compat.h"
#include "gocon_api.h"

/* Shard selection (module.c). The shard count is fixed at init from the CPU
 * count. A thread caches its CPU number and re-reads it every few dozen calls:
 * sched_getcpu() costs ~3 ns through the vDSO, the cached read ~1 ns, and a
 * stale shard is only a locality miss, never a correctness problem. */
extern int gocon_shard_count;
unsigned gocon_refresh_shard(void);
extern GOCON_TLS unsigned gocon_tl_shard;
extern GOCON_TLS unsigned gocon_tl_budget;

static inline unsigned
gocon_shard(void)
{
    if (GOCON_UNLIKELY(gocon_tl_budget == 0))
        return gocon_refresh_shard();
    gocon_tl_budget--;
    return gocon_tl_shard;
}

/* Types, created at init by PyType_FromSpec (pool.c, bufpool.c, semcount.c). */
extern PyTypeObject *gocon_PoolType;
extern PyTypeObject *gocon_BufferPoolType;
extern PyTypeObject *gocon_BufferType;
extern PyTypeObject *gocon_SemCountType;

int gocon_pool_init_type(PyObject *module);
int gocon_bufpool_init_types(PyObject *module);
int gocon_semcount_init_type(PyObject *module);

#endif
