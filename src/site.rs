//! The agency running the site: its name and contacts, its units (a tree), the localities
//! citizens choose from and the places where its posters hang. Comes from `content/site.toml`.

use serde::{Deserialize, Serialize};

use crate::slug::Slug;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    pub name: String,
    #[serde(default)]
    pub short_name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub website: String,
}

impl SiteInfo {
    /// What a site shows before any `site.toml` was imported.
    pub fn placeholder() -> SiteInfo {
        SiteInfo {
            name: "Loa".to_owned(),
            short_name: "Loa".to_owned(),
            address: String::new(),
            phone: String::new(),
            email: String::new(),
            website: String::new(),
        }
    }

    /// The short name if set, else the full name.
    pub fn display_short_name(&self) -> &str {
        if self.short_name.is_empty() {
            &self.name
        } else {
            &self.short_name
        }
    }
}

/// A unit of the agency; `parent` names another unit's slug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub slug: Slug,
    pub name: String,
    pub parent: Option<Slug>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locality {
    pub slug: Slug,
    pub name: String,
}

/// A place where citizens meet the campaign: a counter, a one-stop desk. Posters' QR codes carry
/// its slug (`?nguon=SLUG`), so confirmations can be counted by place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub slug: Slug,
    pub name: String,
}

/// Everything in `site.toml`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFile {
    pub info: SiteInfo,
    pub units: Vec<Unit>,
    pub localities: Vec<Locality>,
    pub places: Vec<Place>,
}
