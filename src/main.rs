//! The `loa` binary; all of it lives in the library.

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    loa::cli::run()
}

/// glibc gives each thread that allocates an arena of its own (up to eight per core) and keeps
/// what each one frees for that thread. A server renders and compresses pages on tokio's
/// blocking pool, many threads over a day, so it ends up holding tens of megabytes it no longer
/// uses (BENCHMARKS.md, resident memory). One arena per core keeps threads from contending while
/// letting freed memory be reused. Set before any thread starts; `MALLOC_ARENA_MAX`, when given,
/// wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = i32::try_from(cores.max(2)).unwrap_or(i32::MAX);
    // SAFETY: mallopt only sets a glibc tunable; no thread has started yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
