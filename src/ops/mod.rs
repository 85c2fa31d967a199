//! Operations on a whole site: `loa copy` between databases, `loa backup` and `loa restore`.

pub mod archive;
pub mod backup;
pub mod copy;
pub mod restore;
