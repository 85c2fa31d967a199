//! Loa: a content manager for public-awareness campaigns of Vietnamese public agencies.
//!
//! `app` builds and serves the application; `cli` is the `loa` command. See ARCHITECTURE.md for
//! the map of the modules.

pub mod account;
pub mod ack;
pub mod app;
pub mod article;
pub mod campaign;
pub mod cli;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod markdown;
pub mod media;
pub mod metrics;
pub mod ops;
pub mod phone;
pub mod policy;
pub mod qr;
pub mod report;
pub mod search;
pub mod server;
pub mod site;
pub mod slug;
pub mod staff_import;
pub mod templates;
pub mod time;
