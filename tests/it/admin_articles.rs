//! The article admin: the list, the editor, actions by role, optimistic locking, slug aliases,
//! secret preview links, deletion and both previews — all through the real server. The shared
//! set-up (a signed-in browser per role, articles written through the editor) is
//! `fixtures::articles`; the tests are in the submodules.

mod editing;
mod limits;
mod links;
mod roles;

pub(crate) use crate::fixtures::articles::*;
