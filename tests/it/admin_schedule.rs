//! The admin side of the publication scheduler: the editor's schedule and end of publication,
//! the publishing calendar and the background jobs page. The tests are in the submodules.

mod editor;
mod pages;
