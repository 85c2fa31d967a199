//! The `loa` binary; all of it lives in the library.

fn main() -> std::process::ExitCode {
    loa::cli::run()
}
