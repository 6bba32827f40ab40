//! Herald: a self-hostable notifications service with live signals, compatible with the
//! Backstage notifications and signals APIs.

// The UI's view types nest deeply; the server compiles them for rendering.
#![recursion_limit = "512"]

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod identity;
pub mod notifications;
pub mod routes;
pub mod server;
pub mod signals;
pub mod state;
pub mod telemetry;
pub mod timestamp;
pub mod ui;
