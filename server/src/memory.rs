//! The process's memory: glibc's allocator set up for a small service that rebuilds a
//! catalogue snapshot of a few megabytes now and then.
//!
//! glibc gives each thread that allocates concurrently an arena of its own, up to eight
//! per core, and keeps what is freed in them for later. A snapshot rebuild and a burst of
//! cache misses then leave freed pages spread over many arenas, and the peak resident
//! size grows with each rebuild. Two arenas and handing freed pages back after a rebuild
//! keep the peak near what is live; the benchmarks measured no loss of throughput (see
//! docs/benchmarks.md). Other allocators and platforms are left as they are.

/// Limit glibc to two arenas, unless `MALLOC_ARENA_MAX` is set (glibc reads it itself).
/// Called once, before the runtime starts its threads.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes allocator settings; it is called before any
        // other thread exists, as glibc advises.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Hand the pages freed since the last call back to the system. Takes a few
/// milliseconds; called on a blocking thread after a snapshot was replaced.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
