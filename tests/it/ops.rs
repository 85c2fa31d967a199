//! Operations: `loa copy` between databases, backup and restore, nothing lost in a crash, an
//! orderly shutdown, health and metrics, logs without personal data, the catch-up of daily jobs,
//! and the deployment guide's commands.

mod backup;
mod catch_up;
mod copy;
mod crash;
mod deploy_doc;
mod observability;
mod shutdown;
mod site;
