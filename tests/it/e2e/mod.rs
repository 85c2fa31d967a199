//! End-to-end journeys in headless Chromium, driven over WebDriver (fantoccini). Each journey
//! runs the real `loa serve` binary on a fresh SQLite database with the shipped content, saves
//! screenshots and page sources under `target/e2e/`, runs axe-core on every page it visits and
//! the Nu HTML Checker on all of them, and on the phone measures what a thumb needs. Without a
//! browser the journeys are skipped with one printed line; under `CI=true` that is a failure.

mod admin_import;
mod campaign;
mod checks;
mod citizen;
mod employee;
mod harness;
mod journey;
mod poster;
mod writers;
