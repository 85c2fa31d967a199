//! Loa's integration tests: one binary, one module per feature. Every test that touches the
//! database runs on SQLite, and also on PostgreSQL when LOA_TEST_DATABASE_URL is set.

mod ack_citizens;
mod ack_reminders;
mod ack_renewal;
mod ack_settings;
mod ack_staff;
mod admin_access;
mod admin_articles;
mod admin_audit;
mod admin_media;
mod admin_people;
mod admin_revisions;
mod admin_schedule;
mod auth;
mod campaigns;
mod content_aliases;
mod content_check;
mod content_cli;
mod content_many;
mod csrf;
mod e2e;
mod feeds;
mod fixtures;
mod helpers;
mod markdown;
mod ops;
mod page_cache;
mod posters;
mod public_site;
mod query_plans;
mod reports;
mod scheduler;
mod search;
mod security;
mod sharing;
mod sitemap;
