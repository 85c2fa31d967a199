//! Reports: every CSV and .xlsx export read back cell by cell (hostile text neutralised, numbers
//! and dates typed), their audit entries, who may export what, the evidence and its hash, and the
//! demo-data generator.

mod article;
mod campaign;
mod fixture;
mod formulas;
pub mod read;
mod seed_demo;
