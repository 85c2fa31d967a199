//! `/admin/don-vi`: the agency's units as a tree; creating and editing one (name, slug, parent).
//! A parent that would put a unit below itself is refused.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::people::{
    clean_name, parse_id, sentence, unit_options, UnitOption, MAX_NAME_CHARS, NO_UNIT,
};
use crate::app::AppState;
use crate::db::units::{self, UnitInput, UnitRow};
use crate::db::{audit, is_unique_violation, Tx};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Page};
use crate::http::views::Layout;
use crate::slug::Slug;
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/don-vi", get(list))
        .route("/don-vi/moi", get(new).post(create))
        .route("/don-vi/{id}", get(edit).post(update))
}

#[derive(Serialize)]
struct UnitItem {
    id: i64,
    name: String,
    slug: String,
    parent: String,
    /// Nesting level, capped for the stylesheet's indentation classes.
    depth: usize,
    members: i64,
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    layout: Layout,
    units: Vec<UnitItem>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Html<String>> {
    let all = units::all(&state.db).await?;
    let members = units::active_members(&state.db).await?;
    let items = units::tree(&all)
        .into_iter()
        .map(|(depth, u)| UnitItem {
            id: u.id,
            name: u.name.clone(),
            slug: u.slug.clone(),
            parent: units::name_of(&all, u.parent_id)
                .unwrap_or_default()
                .to_owned(),
            depth: depth.min(5),
            members: members.get(&u.id).copied().unwrap_or(0),
        })
        .collect();
    let view = ListView {
        layout: Layout::load(
            &state,
            &ctx,
            "Đơn vị",
            "Các đơn vị của cơ quan",
            "/admin/don-vi",
        )
        .await?,
        units: items,
    };
    Ok(Html(state.templates.render("admin/units.html", &view)?))
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct UnitForm {
    name: String,
    slug: String,
    parent: String,
}

#[derive(Clone, Debug, Default, Serialize)]
struct FieldErrors {
    name: Option<String>,
    slug: Option<String>,
    parent: Option<String>,
}

impl FieldErrors {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.slug.is_none() && self.parent.is_none()
    }
}

/// Checks the form against every unit (`id` is the unit being edited, if any).
fn validate(form: &UnitForm, all: &[UnitRow], id: Option<i64>) -> Result<UnitInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let others = || all.iter().filter(move |u| Some(u.id) != id);
    let name = clean_name(&form.name);
    if name.is_empty() {
        errors.name = Some("Hãy nhập tên đơn vị.".to_owned());
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.name = Some(format!("Tên dài quá {MAX_NAME_CHARS} ký tự."));
    }
    let wanted = form.slug.trim();
    let slug = if wanted.is_empty() {
        // Derived from the name, with a counter when another unit has it.
        Slug::from_title(&name).map(|base| Slug::unique(&base, |s| others().any(|u| u.slug == s)))
    } else {
        match Slug::parse(wanted) {
            Ok(s) => match others().find(|u| u.slug == s.as_str()) {
                Some(u) => {
                    errors.slug = Some(format!(
                        "Đơn vị «{}» đã dùng đường dẫn này; hãy chọn đường dẫn khác.",
                        u.name
                    ));
                    None
                }
                None => Some(s),
            },
            Err(e) => {
                errors.slug = Some(sentence(&e.to_string()));
                None
            }
        }
    };
    if slug.is_none() && errors.slug.is_none() && errors.name.is_none() {
        errors.slug = Some(
            "Tên không có chữ cái hay chữ số để tạo đường dẫn; hãy tự nhập đường dẫn.".to_owned(),
        );
    }
    let parent_id = match form.parent.trim() {
        "" => None,
        s => match s
            .parse::<i64>()
            .ok()
            .and_then(|p| all.iter().find(|u| u.id == p))
        {
            None => {
                errors.parent = Some("Đơn vị cấp trên này không có; hãy chọn lại.".to_owned());
                None
            }
            Some(p) => match id {
                Some(id) if units::would_cycle(all, id, p.id) => {
                    errors.parent = Some(if p.id == id {
                        "Một đơn vị không thể trực thuộc chính nó.".to_owned()
                    } else {
                        format!(
                            "Không thể chọn «{}» làm đơn vị cấp trên: «{}» đang trực thuộc đơn vị này, như vậy sẽ tạo thành vòng lặp.",
                            p.name, p.name
                        )
                    });
                    None
                }
                _ => Some(p.id),
            },
        },
    };
    match (slug, errors.is_empty()) {
        (Some(slug), true) => Ok(UnitInput {
            slug,
            name,
            parent_id,
        }),
        _ => Err(errors),
    }
}

#[derive(Serialize)]
struct FormView {
    #[serde(flatten)]
    layout: Layout,
    id: Option<i64>,
    form: UnitForm,
    errors: FieldErrors,
    parents: Vec<UnitOption>,
}

/// Draws the new-unit form (`id` is `None`) or a unit's edit form. With messages the status is
/// 422: the form was refused and nothing stored.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    id: Option<i64>,
    form: UnitForm,
    errors: FieldErrors,
) -> Result<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let all = units::all(&state.db).await?;
    // A unit's own subtree is not offered as its parent.
    let exclude = id.map(|id| units::subtree(&all, id)).unwrap_or_default();
    let (title, path) = match id {
        Some(id) => ("Sửa đơn vị".to_owned(), format!("/admin/don-vi/{id}")),
        None => ("Thêm đơn vị".to_owned(), "/admin/don-vi/moi".to_owned()),
    };
    let view = FormView {
        layout: Layout::load(state, ctx, &title, &title, &path).await?,
        id,
        parents: unit_options(&all, form.parent.parse().ok(), &exclude),
        form,
        errors,
    };
    state
        .templates
        .respond(status, "admin/unit_form.html", &view)
}

async fn new(State(state): State<AppState>, ctx: Ctx) -> Result<Response> {
    render(
        &state,
        &ctx,
        None,
        UnitForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn edit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    let id = parse_id(&id)?;
    let unit = units::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = UnitForm {
        name: unit.name,
        slug: unit.slug,
        parent: unit.parent_id.map(|p| p.to_string()).unwrap_or_default(),
    };
    render(&state, &ctx, Some(id), form, FieldErrors::default()).await
}

fn slug_taken() -> FieldErrors {
    FieldErrors {
        slug: Some("Một đơn vị khác đã dùng đường dẫn này; hãy chọn đường dẫn khác.".to_owned()),
        ..Default::default()
    }
}

/// Records the action on unit `id` and commits it with the change it audits.
async fn commit_audited(
    mut tx: Tx,
    ctx: &Ctx,
    action: &'static str,
    id: i64,
    name: &str,
    detail: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let actor = ctx.user()?;
    let entry = audit::Entry {
        actor_id: Some(actor.id),
        actor_label: actor.email.clone(),
        action,
        target_type: "unit",
        target_id: Some(id),
        target_label: name.to_owned(),
        detail,
        ip: ctx.ip.clone(),
    };
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A write that either happened or was refused with messages for the form.
type Saved = Result<(), FieldErrors>;

async fn create(Page(state, ctx): Page, Form(form): Form<UnitForm>) -> Result<Response> {
    match insert_unit(&state, &ctx, &form).await? {
        Ok(()) => Ok(Redirect::to("/admin/don-vi").into_response()),
        Err(errors) => render(&state, &ctx, None, form, errors).await,
    }
}

async fn update(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Form(form): Form<UnitForm>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    match update_unit(&state, &ctx, id, &form).await? {
        Ok(()) => Ok(Redirect::to("/admin/don-vi").into_response()),
        Err(errors) => render(&state, &ctx, Some(id), form, errors).await,
    }
}

/// Adds the unit the form describes, with its audit entry.
async fn insert_unit(state: &AppState, ctx: &Ctx, form: &UnitForm) -> Result<Saved> {
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let all = units::all_tx(&mut tx).await?;
    let input = match validate(form, &all, None) {
        Ok(i) => i,
        Err(errors) => return Ok(Err(errors)),
    };
    let id = match units::insert(&mut tx, &input, now).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Ok(Err(slug_taken())),
        Err(e) => return Err(e.into()),
    };
    let parent = units::name_of(&all, input.parent_id).unwrap_or(NO_UNIT);
    let detail = format!("đường dẫn {}, trực thuộc {parent}", input.slug);
    commit_audited(tx, ctx, "unit.create", id, &input.name, detail, now).await?;
    Ok(Ok(()))
}

/// Writes the form over unit `id`, with an audit entry naming what changed (nothing is written
/// when nothing changed).
async fn update_unit(state: &AppState, ctx: &Ctx, id: i64, form: &UnitForm) -> Result<Saved> {
    let now = time::now();
    let mut tx = state.db.begin().await?;
    // The tree as the transaction sees it, so the loop check and the write agree.
    let all = units::all_tx(&mut tx).await?;
    let old = all
        .iter()
        .find(|u| u.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let input = match validate(form, &all, Some(id)) {
        Ok(i) => i,
        Err(errors) => return Ok(Err(errors)),
    };
    let name_of = |p| units::name_of(&all, p).unwrap_or(NO_UNIT);
    let mut changed = Vec::new();
    if old.name != input.name {
        changed.push(format!("tên: {} → {}", old.name, input.name));
    }
    if old.slug != input.slug.as_str() {
        changed.push(format!("đường dẫn: {} → {}", old.slug, input.slug));
    }
    if old.parent_id != input.parent_id {
        changed.push(format!(
            "trực thuộc: {} → {}",
            name_of(old.parent_id),
            name_of(input.parent_id)
        ));
    }
    if changed.is_empty() {
        return Ok(Ok(()));
    }
    match units::update(&mut tx, id, &input, now).await {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => return Ok(Err(slug_taken())),
        Err(e) => return Err(e.into()),
    }
    let detail = changed.join("; ");
    commit_audited(tx, ctx, "unit.update", id, &input.name, detail, now).await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, slug: &str, parent_id: Option<i64>) -> UnitRow {
        UnitRow {
            id,
            slug: slug.into(),
            name: format!("Đơn vị {id}"),
            parent_id,
            position: id,
        }
    }

    fn form(name: &str, slug: &str, parent: &str) -> UnitForm {
        UnitForm {
            name: name.into(),
            slug: slug.into(),
            parent: parent.into(),
        }
    }

    #[test]
    fn slugs_are_derived_unique_and_checked() {
        let all = vec![unit(1, "phong-ke-toan", None), unit(2, "b", Some(1))];
        let new = validate(&form("Phòng Kế toán", "", "1"), &all, None).unwrap();
        assert_eq!(new.slug.as_str(), "phong-ke-toan-2");
        assert_eq!(new.parent_id, Some(1));
        // Editing a unit keeps its own slug free.
        let same = validate(&form("Phòng Kế toán", "", ""), &all, Some(1)).unwrap();
        assert_eq!(same.slug.as_str(), "phong-ke-toan");
        assert!(validate(&form("X", "b", ""), &all, None)
            .unwrap_err()
            .slug
            .is_some());
        assert!(validate(&form("X", "Có Dấu", ""), &all, None)
            .unwrap_err()
            .slug
            .is_some());
        assert!(validate(&form("???", "", ""), &all, None)
            .unwrap_err()
            .slug
            .is_some());
    }

    #[test]
    fn a_parent_below_the_unit_is_refused() {
        let all = vec![
            unit(1, "a", None),
            unit(2, "b", Some(1)),
            unit(3, "c", Some(2)),
        ];
        let e = validate(&form("A", "a", "3"), &all, Some(1)).unwrap_err();
        assert!(e.parent.unwrap().contains("vòng lặp"));
        let e = validate(&form("A", "a", "1"), &all, Some(1)).unwrap_err();
        assert!(e.parent.unwrap().contains("chính nó"));
        assert!(validate(&form("C", "c", "1"), &all, Some(3)).is_ok());
        assert!(validate(&form("C", "c", "99"), &all, Some(3))
            .unwrap_err()
            .parent
            .is_some());
    }
}
