//! Tera templates, compiled into the binary (nothing is read from the working directory).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use tera::{Context, Tera};

use crate::error::Result;

/// Every template, by name. A test renders each of them.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("article.html", include_str!("../templates/article.html")),
    ("topics.html", include_str!("../templates/topics.html")),
    ("topic.html", include_str!("../templates/topic.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    (
        "change_password.html",
        include_str!("../templates/change_password.html"),
    ),
    (
        "admin/base.html",
        include_str!("../templates/admin/base.html"),
    ),
    (
        "admin/dashboard.html",
        include_str!("../templates/admin/dashboard.html"),
    ),
    (
        "admin/media.html",
        include_str!("../templates/admin/media.html"),
    ),
    (
        "admin/media_edit.html",
        include_str!("../templates/admin/media_edit.html"),
    ),
    (
        "admin/revisions.html",
        include_str!("../templates/admin/revisions.html"),
    ),
    (
        "admin/revision_diff.html",
        include_str!("../templates/admin/revision_diff.html"),
    ),
    (
        "admin/people.html",
        include_str!("../templates/admin/people.html"),
    ),
    (
        "admin/person_form.html",
        include_str!("../templates/admin/person_form.html"),
    ),
    (
        "admin/person_password.html",
        include_str!("../templates/admin/person_password.html"),
    ),
    (
        "admin/people_import.html",
        include_str!("../templates/admin/people_import.html"),
    ),
    (
        "admin/people_import_done.html",
        include_str!("../templates/admin/people_import_done.html"),
    ),
    (
        "admin/units.html",
        include_str!("../templates/admin/units.html"),
    ),
    (
        "admin/unit_form.html",
        include_str!("../templates/admin/unit_form.html"),
    ),
    (
        "admin/audit_log.html",
        include_str!("../templates/admin/audit_log.html"),
    ),
    (
        "admin/articles.html",
        include_str!("../templates/admin/articles.html"),
    ),
    (
        "admin/article_form.html",
        include_str!("../templates/admin/article_form.html"),
    ),
    (
        "admin/article_conflict.html",
        include_str!("../templates/admin/article_conflict.html"),
    ),
    (
        "admin/article_delete.html",
        include_str!("../templates/admin/article_delete.html"),
    ),
    ("preview.html", include_str!("../templates/preview.html")),
    (
        "admin/calendar.html",
        include_str!("../templates/admin/calendar.html"),
    ),
    (
        "admin/jobs.html",
        include_str!("../templates/admin/jobs.html"),
    ),
    (
        "ack_status.html",
        include_str!("../templates/ack_status.html"),
    ),
    (
        "ack_pending.html",
        include_str!("../templates/ack_pending.html"),
    ),
    (
        "ack_refused.html",
        include_str!("../templates/ack_refused.html"),
    ),
    (
        "admin/article_acks.html",
        include_str!("../templates/admin/article_acks.html"),
    ),
    (
        "admin/ack_evidence.html",
        include_str!("../templates/admin/ack_evidence.html"),
    ),
    (
        "confirm_citizen.html",
        include_str!("../templates/confirm_citizen.html"),
    ),
    (
        "confirm_citizen_page.html",
        include_str!("../templates/confirm_citizen_page.html"),
    ),
    (
        "confirm_thanks.html",
        include_str!("../templates/confirm_thanks.html"),
    ),
    ("privacy.html", include_str!("../templates/privacy.html")),
    (
        "admin/citizens.html",
        include_str!("../templates/admin/citizens.html"),
    ),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    (
        "admin/reminders.html",
        include_str!("../templates/admin/reminders.html"),
    ),
    ("search.html", include_str!("../templates/search.html")),
    (
        "admin/form_macros.html",
        include_str!("../templates/admin/form_macros.html"),
    ),
    (
        "admin/campaign_macros.html",
        include_str!("../templates/admin/campaign_macros.html"),
    ),
    (
        "admin/campaigns.html",
        include_str!("../templates/admin/campaigns.html"),
    ),
    (
        "admin/campaign.html",
        include_str!("../templates/admin/campaign.html"),
    ),
    (
        "admin/campaign_form.html",
        include_str!("../templates/admin/campaign_form.html"),
    ),
    (
        "admin/campaign_person.html",
        include_str!("../templates/admin/campaign_person.html"),
    ),
    (
        "admin/campaign_print.html",
        include_str!("../templates/admin/campaign_print.html"),
    ),
    ("campaign.html", include_str!("../templates/campaign.html")),
    (
        "admin/poster.html",
        include_str!("../templates/admin/poster.html"),
    ),
    (
        "admin/places.html",
        include_str!("../templates/admin/places.html"),
    ),
    (
        "admin/topics.html",
        include_str!("../templates/admin/topics.html"),
    ),
];

/// Escapes the five characters that matter in HTML text and quoted attributes. (Tera's default
/// also escapes `/`, which garbles dates such as 31/08/2018 and URLs in the page source.)
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub struct Templates {
    tera: Tera,
}

impl Templates {
    pub fn new() -> Result<Templates, tera::Error> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())?;
        // Autoescaping is on for .html; only sanitised article HTML is marked safe.
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(escape_html);
        Ok(Templates { tera })
    }

    /// Renders a template with a view struct as its context.
    pub fn render(&self, name: &str, view: &impl Serialize) -> Result<String> {
        let ctx = Context::from_serialize(view)?;
        Ok(self.tera.render(name, &ctx)?)
    }

    /// A rendered page answered with `status` (a form shown again with its errors is 422).
    pub fn respond(
        &self,
        status: StatusCode,
        name: &str,
        view: &impl Serialize,
    ) -> Result<Response> {
        Ok((status, Html(self.render(name, view)?)).into_response())
    }
}
