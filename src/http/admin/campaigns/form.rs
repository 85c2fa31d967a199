//! `/admin/chien-dich/moi` and `/admin/chien-dich/{slug}/sua`: the editor's campaign form —
//! name, slug, description, period, targets, public or not, and the articles, chosen with a
//! box each and ordered by a number (no JavaScript needed). Mistakes re-render the form with
//! Vietnamese messages and nothing stored; saves are audited. Editors and admins only.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Serialize;

use super::{load, Viewer};
use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::campaign::{CampaignFields, FieldError, RawCampaign};
use crate::db::campaigns::{self, CampaignRow};
use crate::db::{audit, is_unique_violation};
use crate::error::Result;
use crate::http::auth::Page;
use crate::http::views::Layout;
use crate::policy::Action;
use crate::time;

/// The form as sent (and as re-rendered after a mistake).
#[derive(Clone, Debug, Default, Serialize)]
struct CampaignForm {
    name: String,
    slug: String,
    description: String,
    starts_on: String,
    ends_on: String,
    staff_target_percent: String,
    citizen_target: String,
    is_public: bool,
    /// Chosen article ids, with the order typed next to each (may be empty).
    #[serde(skip)]
    chosen: HashMap<i64, String>,
}

impl CampaignForm {
    /// Reads the urlencoded pairs: plain fields, `bai` once per chosen article, and
    /// `thu_tu_{id}` for each article's order.
    fn from_pairs(pairs: Vec<(String, String)>) -> CampaignForm {
        let mut f = CampaignForm::default();
        let mut orders: HashMap<i64, String> = HashMap::new();
        let mut chosen = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "slug" => f.slug = v,
                "description" => f.description = v,
                "starts_on" => f.starts_on = v,
                "ends_on" => f.ends_on = v,
                "staff_target_percent" => f.staff_target_percent = v,
                "citizen_target" => f.citizen_target = v,
                "is_public" => f.is_public = !v.is_empty(),
                "bai" => chosen.extend(v.trim().parse::<i64>().ok()),
                other => {
                    if let Some(id) = other
                        .strip_prefix("thu_tu_")
                        .and_then(|id| id.parse::<i64>().ok())
                    {
                        orders.insert(id, v.trim().to_owned());
                    }
                }
            }
        }
        f.chosen = chosen
            .into_iter()
            .map(|id| (id, orders.remove(&id).unwrap_or_default()))
            .collect();
        f
    }

    fn from_row(c: &CampaignRow, article_ids: &[i64]) -> CampaignForm {
        CampaignForm {
            name: c.name.clone(),
            slug: c.slug.clone(),
            description: c.description.clone(),
            starts_on: c.starts_on.clone(),
            ends_on: c.ends_on.clone(),
            staff_target_percent: c.staff_target_percent.to_string(),
            citizen_target: c.citizen_target.to_string(),
            is_public: c.is_public,
            chosen: article_ids
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, (i + 1).to_string()))
                .collect(),
        }
    }

    fn raw(&self) -> RawCampaign {
        RawCampaign {
            slug: self.slug.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            starts_on: self.starts_on.clone(),
            ends_on: self.ends_on.clone(),
            staff_target_percent: self.staff_target_percent.clone(),
            citizen_target: self.citizen_target.clone(),
            is_public: self.is_public,
        }
    }
}

/// Messages by field; `articles` covers the choice and order of articles.
#[derive(Clone, Debug, Default, Serialize)]
struct FieldErrors {
    name: Option<String>,
    slug: Option<String>,
    description: Option<String>,
    starts_on: Option<String>,
    ends_on: Option<String>,
    staff_target_percent: Option<String>,
    citizen_target: Option<String>,
    articles: Option<String>,
    any: bool,
}

impl FieldErrors {
    fn add(&mut self, e: FieldError) {
        let slot = match e.field {
            "name" => &mut self.name,
            "slug" => &mut self.slug,
            "description" => &mut self.description,
            "starts_on" => &mut self.starts_on,
            "ends_on" => &mut self.ends_on,
            "staff_target_percent" => &mut self.staff_target_percent,
            "citizen_target" => &mut self.citizen_target,
            _ => &mut self.articles,
        };
        slot.get_or_insert(e.message);
        self.any = true;
    }
}

#[derive(Serialize)]
struct ArticleOption {
    id: i64,
    title: String,
    slug: String,
    status: &'static str,
    date: String,
    checked: bool,
    order: String,
}

#[derive(Serialize)]
struct FormView {
    #[serde(flatten)]
    layout: Layout,
    /// The campaign's current slug when editing (the form's address).
    editing: Option<String>,
    form: CampaignForm,
    errors: FieldErrors,
    articles: Vec<ArticleOption>,
}

/// Chosen articles in the order typed (numbers first, then the rest as listed), or a message.
fn ordered(
    form: &CampaignForm,
    choices: &[campaigns::ArticleChoice],
) -> std::result::Result<Vec<i64>, String> {
    let mut picked = Vec::new();
    for (index, c) in choices.iter().enumerate() {
        let Some(order) = form.chosen.get(&c.id) else {
            continue;
        };
        let rank = match order.as_str() {
            "" => i64::MAX,
            t => match t.parse::<i64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(format!(
                        "Thứ tự của bài «{}» phải là một số nguyên dương (1, 2, 3…).",
                        c.title
                    ))
                }
            },
        };
        picked.push((rank, index, c.id));
    }
    if picked.len() < form.chosen.len() {
        return Err("Có bài viết đã chọn không còn tồn tại; hãy chọn lại.".to_owned());
    }
    picked.sort();
    Ok(picked.into_iter().map(|(_, _, id)| id).collect())
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    editing: Option<String>,
    form: CampaignForm,
    errors: FieldErrors,
) -> Result<Response> {
    let choices = campaigns::article_choices(&state.db).await?;
    let mut articles: Vec<ArticleOption> = choices
        .into_iter()
        .map(|c| ArticleOption {
            checked: form.chosen.contains_key(&c.id),
            order: form.chosen.get(&c.id).cloned().unwrap_or_default(),
            status: c
                .status
                .parse::<ArticleStatus>()
                .map(|s| s.label())
                .unwrap_or(""),
            date: c.publish_at.map(time::format_date).unwrap_or_default(),
            id: c.id,
            title: c.title,
            slug: c.slug,
        })
        .collect();
    // The campaign's articles first, in their order, then the others.
    articles.sort_by_key(|a| (!a.checked, a.order.parse::<i64>().unwrap_or(i64::MAX)));
    let (title, path) = match &editing {
        Some(slug) => (
            "Sửa chiến dịch".to_owned(),
            format!("/admin/chien-dich/{slug}/sua"),
        ),
        None => (
            "Tạo chiến dịch".to_owned(),
            "/admin/chien-dich/moi".to_owned(),
        ),
    };
    let status = if errors.any {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = FormView {
        layout: Layout::load(state, &viewer.ctx, &title, &title, &path).await?,
        editing,
        form,
        errors,
        articles,
    };
    state
        .templates
        .respond(status, "admin/campaign_form.html", &view)
}

pub async fn new(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    viewer.require(Action::EditCampaigns)?;
    let form = CampaignForm {
        staff_target_percent: crate::campaign::DEFAULT_STAFF_TARGET.to_string(),
        citizen_target: "0".to_owned(),
        ..CampaignForm::default()
    };
    render(&state, &viewer, None, form, FieldErrors::default()).await
}

pub async fn edit(Page(state, viewer): Page<Viewer>, Path(slug): Path<String>) -> Result<Response> {
    viewer.require(Action::EditCampaigns)?;
    let campaign = load(&state, &slug).await?;
    let ids: Vec<i64> = campaigns::articles(&state.db, campaign.id)
        .await?
        .iter()
        .map(|a| a.article_id)
        .collect();
    let form = CampaignForm::from_row(&campaign, &ids);
    render(&state, &viewer, Some(slug), form, FieldErrors::default()).await
}

pub async fn create(
    Page(state, viewer): Page<Viewer>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    viewer.require(Action::EditCampaigns)?;
    let form = CampaignForm::from_pairs(pairs);
    match save(&state, &viewer, None, &form).await? {
        Ok(slug) => Ok(Redirect::to(&format!("/admin/chien-dich/{slug}")).into_response()),
        Err(errors) => render(&state, &viewer, None, form, errors).await,
    }
}

pub async fn update(
    Page(state, viewer): Page<Viewer>,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    viewer.require(Action::EditCampaigns)?;
    let campaign = load(&state, &slug).await?;
    let form = CampaignForm::from_pairs(pairs);
    match save(&state, &viewer, Some(&campaign), &form).await? {
        Ok(new_slug) => Ok(Redirect::to(&format!("/admin/chien-dich/{new_slug}")).into_response()),
        Err(errors) => render(&state, &viewer, Some(slug), form, errors).await,
    }
}

/// Validates and writes (a new campaign when `existing` is `None`) with its audit entry, in one
/// transaction; returns the slug, or the messages for the form.
async fn save(
    state: &AppState,
    viewer: &Viewer,
    existing: Option<&CampaignRow>,
    form: &CampaignForm,
) -> Result<std::result::Result<String, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let fields = CampaignFields::try_from(form.raw())
        .map_err(|list| list.into_iter().for_each(|e| errors.add(e)))
        .ok();
    let choices = campaigns::article_choices(&state.db).await?;
    let articles = ordered(form, &choices)
        .map_err(|message| {
            errors.add(FieldError {
                field: "articles",
                message,
            })
        })
        .ok();
    let (Some(fields), Some(articles), false) = (fields, articles, errors.any) else {
        return Ok(Err(errors));
    };
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let written = match existing {
        Some(c) => campaigns::update(&mut tx, c.id, &fields, now)
            .await
            .map(|()| c.id),
        None => campaigns::insert(&mut tx, &fields, now).await,
    };
    let id = match written {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            errors.add(FieldError {
                field: "slug",
                message: "Một chiến dịch khác đã dùng đường dẫn này; hãy chọn đường dẫn khác."
                    .to_owned(),
            });
            return Ok(Err(errors));
        }
        Err(e) => return Err(e.into()),
    };
    campaigns::set_articles(&mut tx, id, &articles).await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_id: Some(viewer.user.id),
            actor_label: viewer.user.email.clone(),
            action: if existing.is_some() {
                "campaign.update"
            } else {
                "campaign.create"
            },
            target_type: "campaign",
            target_id: Some(id),
            target_label: fields.name.clone(),
            detail: summary(&fields, articles.len()),
            ip: viewer.ctx.ip.clone(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(fields.slug.to_string()))
}

fn summary(f: &CampaignFields, articles: usize) -> String {
    format!(
        "{} ({} – {}); {articles} bài viết; chỉ tiêu cán bộ {}%, người dân {}{}",
        f.slug,
        f.starts_on.format("%d/%m/%Y"),
        f.ends_on.format("%d/%m/%Y"),
        f.staff_target_percent,
        f.citizen_target,
        if f.is_public { "; công khai" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(id: i64) -> campaigns::ArticleChoice {
        campaigns::ArticleChoice {
            id,
            slug: format!("bai-{id}"),
            title: format!("Bài {id}"),
            status: "published".into(),
            publish_at: None,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn articles_follow_the_numbers_then_the_list() {
        let choices = [choice(1), choice(2), choice(3), choice(4)];
        let form = CampaignForm::from_pairs(pairs(&[
            ("bai", "1"),
            ("thu_tu_1", ""),
            ("bai", "3"),
            ("thu_tu_3", "2"),
            ("bai", "4"),
            ("thu_tu_4", "1"),
            ("thu_tu_2", "1"),
        ]));
        assert_eq!(ordered(&form, &choices).unwrap(), [4, 3, 1]);
    }

    #[test]
    fn bad_orders_and_unknown_articles_are_refused() {
        let choices = [choice(1)];
        let bad = CampaignForm::from_pairs(pairs(&[("bai", "1"), ("thu_tu_1", "x")]));
        assert!(ordered(&bad, &choices).unwrap_err().contains("Bài 1"));
        let gone = CampaignForm::from_pairs(pairs(&[("bai", "9")]));
        assert!(ordered(&gone, &choices).is_err());
    }
}
