//! Campaigns: the roll-up arithmetic on a three-level unit tree, the dashboard and its agreement
//! with the per-article pages, the scope of unit heads, "Nhắc ngay", content files, the
//! editor's form, the printable report and the public page.

mod files;
mod form;
mod pages;
mod public;
pub(crate) mod rollup;
mod scope;
mod urge;
