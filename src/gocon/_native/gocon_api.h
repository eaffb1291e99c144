/* The rare-operation surface of the native core, reached from Python through
 * cffi's `lib` (see _ffi_build.py, which feeds this file to ffi.cdef after
 * dropping preprocessor lines). Hot paths never come here: Pool.get/put and
 * BufferPool.get/put are CPython C-API methods (pool.c, bufpool.c) because a
 * cffi wrapper releases and retakes the GIL on every call.
 *
 * Every function below takes the GIL itself (PyGILState_Ensure), since cffi
 * calls it with the GIL released. `obj` arguments are the address of a live
 * gocon object (`id(obj)` on CPython) that the caller keeps alive; the type is
 * checked before use and a mismatch returns -1.
 */
#ifndef GOCON_API_H
#define GOCON_API_H

typedef struct {
    uint64_t hits, misses, puts, victim_hits, dropped, flips;
    int64_t size;          /* idle objects held: live + victim */
    int64_t victim_size;   /* of which in the victim generation */
} gocon_pool_stats;

typedef struct {
    int64_t block_size;    /* bytes per block; 0 for the unpooled (oversize) row */
    uint64_t hits, misses, puts, victim_hits, dropped, abandoned;
    int64_t outstanding;   /* issued by get(), neither put back nor abandoned */
    int64_t size;          /* idle blocks held: live + victim */
    int64_t victim_size;
} gocon_class_stats;

int gocon_native_init(int ncpu, char *err, size_t errlen);
int gocon_free_threaded(void);
int gocon_nshards(void);
int gocon_current_shard(void);

int gocon_pool_snapshot(uintptr_t obj, gocon_pool_stats *out, int64_t *shard_sizes, int nshards);

int gocon_bufpool_nclasses(uintptr_t obj);
int gocon_bufpool_snapshot(uintptr_t obj, gocon_class_stats *out, int n);
int64_t gocon_bufpool_trim(uintptr_t obj);
int gocon_bufpool_check(uintptr_t obj, char *err, size_t errlen);

#endif
