//! `/bai-viet/{slug}`: one published article. Any other status is a 404, exactly as if the
//! article did not exist. The old slug of a renamed article answers 301 with its current address,
//! keeping the query (a printed poster's `?nguon=` must survive a later rename).

use axum::extract::{Path, RawQuery};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::app::AppState;
use crate::db::{articles, topics};
use crate::error::{AppError, Result};
use crate::http::auth::Page;
use crate::http::caching;
use crate::http::views::{absolute_url, json_ld_script, ArticleView, Layout, SiteView};
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new().route("/bai-viet/{slug}", get(article))
}

#[derive(Serialize)]
struct ArticlePage {
    #[serde(flatten)]
    layout: Layout,
    article: ArticleView,
    /// The signed-in person's acknowledgment status, when the article asks them for one.
    staff_ack: Option<crate::http::staff::acknowledge::StaffAckBox>,
    /// The citizens' confirmation form, when the article takes them.
    citizen_form: Option<super::confirm::CitizenForm>,
}

async fn article(
    Page(state, ctx): Page,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let Some(row) = articles::published_by_slug(&state.db, &slug).await? else {
        return match articles::alias_target(&state.db, &slug).await? {
            // Permanent, so that search engines and bookmarks move to the new address.
            Some(current) => {
                let query = query.map(|q| format!("?{q}")).unwrap_or_default();
                Ok((
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, format!("/bai-viet/{current}{query}"))],
                )
                    .into_response())
            }
            None => Err(AppError::NotFound),
        };
    };
    let mut topic_map = topics::for_articles(&state.db, &[row.id]).await?;
    let topic_rows = topic_map.remove(&row.id).unwrap_or_default();
    let site = SiteView::load(&state).await?;
    let path = format!("/bai-viet/{}", row.slug);
    // The editor's meta description, when written, is made for search results; else the summary.
    let description = if row.meta_description.is_empty() {
        &row.summary
    } else {
        &row.meta_description
    };
    let citizen_form = super::confirm::form_for(&state, &row.slug, &site).await?;
    let site_changed = site.changed_at;
    let mut layout = Layout::new(&state, &ctx, site, &row.title, description, &path);
    sharing(&state, &mut layout, &row, description)?;
    let staff_ack = crate::http::staff::acknowledge::status_box(&state, &ctx, row.id).await?;
    // An anonymous reader's page changes only with the article and the site's details; a
    // signed-in reader's status box and an open citizen form change with time and other people.
    let changed = (ctx.user.is_none() && citizen_form.is_none())
        .then(|| row.updated_at.max(site_changed.unwrap_or(row.updated_at)));
    let view = ArticlePage {
        layout,
        article: ArticleView::new(row, &topic_rows),
        staff_ack,
        citizen_form,
    };
    let mut response = Html(state.templates.render("article.html", &view)?).into_response();
    if let Some(t) = changed {
        response
            .headers_mut()
            .insert(header::LAST_MODIFIED, caching::last_modified(t));
    }
    Ok(response)
}

/// Schema.org `NewsArticle`, as search engines read it. The agency is both author and publisher:
/// the site speaks for the agency, not for the person who typed the article.
#[derive(Serialize)]
struct NewsArticleLd<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    headline: &'a str,
    description: &'a str,
    #[serde(rename = "datePublished")]
    date_published: String,
    #[serde(rename = "dateModified")]
    date_modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    author: OrganizationLd<'a>,
    publisher: OrganizationLd<'a>,
    #[serde(rename = "mainEntityOfPage")]
    main_entity_of_page: WebPageLd<'a>,
    #[serde(rename = "inLanguage")]
    in_language: &'static str,
}

#[derive(Clone, Copy, Serialize)]
struct OrganizationLd<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct WebPageLd<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: &'a str,
}

/// The link-preview (Open Graph, Twitter) and structured-data parts of an article's layout.
fn sharing(
    state: &AppState,
    layout: &mut Layout,
    row: &articles::ArticleRow,
    description: &str,
) -> Result<()> {
    let published = time::to_rfc3339_utc(row.publish_at.unwrap_or(row.created_at));
    let modified = time::to_rfc3339_utc(row.updated_at);
    let image = row.cover.as_deref().and_then(|c| absolute_url(state, c));
    let home = absolute_url(state, "/").unwrap_or_default();
    let agency = OrganizationLd {
        kind: "GovernmentOrganization",
        name: &layout.site.name,
        url: &home,
    };
    let ld = NewsArticleLd {
        context: "https://schema.org",
        kind: "NewsArticle",
        headline: &row.title,
        description,
        date_published: published.clone(),
        date_modified: modified.clone(),
        image: image.as_deref(),
        author: agency,
        publisher: agency,
        main_entity_of_page: WebPageLd {
            kind: "WebPage",
            id: &layout.canonical,
        },
        in_language: "vi",
    };
    let json_ld = json_ld_script(&ld)?;
    layout.og_type = "article";
    layout.og_image = image;
    layout.published_time = Some(published);
    layout.modified_time = Some(modified);
    layout.json_ld = Some(json_ld);
    Ok(())
}
