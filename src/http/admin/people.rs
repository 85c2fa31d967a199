//! `/admin/nguoi-dung`: the list of accounts with its filters, and what the other people pages
//! share (the unit and role choices, the audit entry of an admin's action, the one-time password
//! page). Creating and editing live in `people_form`, deactivation and password resets in
//! `people_status`, the CSV import in `people_import`.

use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::account::Role;
use crate::app::AppState;
use crate::db::audit;
use crate::db::units::{self, UnitRow};
use crate::db::users::{self, UserRow};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser, Page};
use crate::http::views::{Layout, Pagination};
use crate::slug::fold;

/// Accounts per page of the list.
pub const PAGE_SIZE: usize = 25;

/// Longest account or unit name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// How the audit log names the unit of an account, or the parent of a unit, when there is none.
pub const NO_UNIT: &str = "(không)";

pub fn router() -> Router<AppState> {
    Router::new().route("/nguoi-dung", get(list))
}

/// A path id; anything but a positive number is a page that does not exist.
pub fn parse_id(s: &str) -> Result<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or(AppError::NotFound)
}

/// Trims, composes (NFC) and collapses runs of white space in a name.
pub fn clean_name(s: &str) -> String {
    s.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The form that renames a named row (a place, a topic).
#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    pub name: String,
}

/// The audit entry of renaming `kind` row `id` from `old` to `new`, or `None` when the name is
/// unchanged, so that nothing is written or audited for a save that changes nothing.
pub fn rename_entry(
    ctx: &Ctx,
    user: &CurrentUser,
    action: &'static str,
    (kind, id): (&'static str, i64),
    old: &str,
    new: &str,
) -> Option<audit::Entry> {
    (new != old).then(|| {
        ctx.audit_entry(
            user,
            action,
            (kind, Some(id), new),
            format!("{old} → {new}"),
        )
    })
}

/// An error message of a validated type as a sentence: capitalised, with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Folded and lowercased, so that "nguyen" finds "Nguyễn" and "do" finds "Đỗ".
fn search_key(s: &str) -> String {
    fold(s).to_lowercase()
}

/// One choice of a unit `<select>`, indented to show the tree.
#[derive(Clone, Debug, Serialize)]
pub struct UnitOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

/// The units in tree order as `<select>` choices, leaving out `exclude` (a unit's own subtree).
pub fn unit_options(
    all: &[UnitRow],
    selected: Option<i64>,
    exclude: &std::collections::HashSet<i64>,
) -> Vec<UnitOption> {
    units::tree(all)
        .into_iter()
        .filter(|(_, u)| !exclude.contains(&u.id))
        .map(|(depth, u)| UnitOption {
            id: u.id,
            label: format!("{}{}", "— ".repeat(depth), u.name),
            selected: selected == Some(u.id),
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub fn role_options(selected: &str) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
            selected: r.as_str() == selected,
        })
        .collect()
}

/// The audit entry of an admin acting on an account.
pub fn entry_for(
    ctx: &Ctx,
    actor: &CurrentUser,
    action: &'static str,
    target_id: i64,
    target_email: &str,
    detail: String,
) -> audit::Entry {
    ctx.audit_entry(
        actor,
        action,
        ("user", Some(target_id), target_email),
        detail,
    )
}

/// One account whose one-time password is shown.
#[derive(Clone, Debug, Serialize)]
pub struct OneTimeAccount {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub unit: String,
    pub role_label: &'static str,
    pub password: String,
}

#[derive(Serialize)]
struct OneTimeView {
    #[serde(flatten)]
    layout: Layout,
    heading: &'static str,
    account: OneTimeAccount,
}

/// A page that shows a one-time password. It is the answer to the POST itself (the password is
/// stored nowhere, so no later page could show it) and must not be cached or kept in history.
pub fn no_store(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Html(html),
    )
        .into_response()
}

pub async fn one_time_page(
    state: &AppState,
    ctx: &Ctx,
    heading: &'static str,
    account: OneTimeAccount,
) -> Result<Response> {
    let path = format!("/admin/nguoi-dung/{}", account.id);
    let view = OneTimeView {
        layout: Layout::load(state, ctx, heading, heading, &path).await?,
        heading,
        account,
    };
    Ok(no_store(
        StatusCode::OK,
        state
            .templates
            .render("admin/person_password.html", &view)?,
    ))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    vai_tro: String,
    #[serde(default)]
    don_vi: String,
    #[serde(default)]
    trang_thai: String,
    #[serde(default)]
    q: String,
    trang: Option<String>,
}

impl ListQuery {
    /// The filters as a query string (without the page), for the pagination links.
    fn query_string(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("vai_tro", &self.vai_tro),
            ("don_vi", &self.don_vi),
            ("trang_thai", &self.trang_thai),
            ("q", &self.q),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

#[derive(Serialize)]
struct PersonItem {
    id: i64,
    name: String,
    email: String,
    unit: String,
    role_label: &'static str,
    is_head: bool,
    active: bool,
    must_change_password: bool,
}

#[derive(Serialize)]
struct StatusOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    layout: Layout,
    people: Vec<PersonItem>,
    total: usize,
    q: String,
    roles: Vec<RoleOption>,
    units: Vec<UnitOption>,
    statuses: Vec<StatusOption>,
    filtered: bool,
    pagination: Pagination,
}

async fn list(Page(state, ctx): Page, Query(q): Query<ListQuery>) -> Result<Html<String>> {
    let page = match q.trang.as_deref() {
        None | Some("") => 1,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or(AppError::NotFound)?,
    };
    let all_units = units::all(&state.db).await?;
    let role: Option<Role> = q.vai_tro.parse().ok();
    let unit: Option<i64> = q.don_vi.parse().ok();
    // A unit's list includes the units below it.
    let in_units = unit.map(|id| units::subtree(&all_units, id));
    let active = match q.trang_thai.as_str() {
        "hoat-dong" => Some(true),
        "da-khoa" => Some(false),
        _ => None,
    };
    let needle = search_key(q.q.trim());
    let mut people: Vec<UserRow> = users::all(&state.db)
        .await?
        .into_iter()
        .filter(|u| role.is_none_or(|r| u.role() == r))
        .filter(|u| {
            in_units
                .as_ref()
                .is_none_or(|set| u.unit_id.is_some_and(|id| set.contains(&id)))
        })
        .filter(|u| active.is_none_or(|a| u.active == a))
        .filter(|u| {
            needle.is_empty() || search_key(&u.name).contains(&needle) || u.email.contains(&needle)
        })
        .collect();
    // Sorted in Rust so that both databases give the same order, by name as Vietnamese read it.
    people.sort_by_cached_key(|u| (search_key(&u.name), u.name.clone(), u.id));

    let total = people.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let filters = q.query_string();
    let url = |n: usize| {
        let mut u = "/admin/nguoi-dung".to_owned();
        let mut parts = vec![];
        if !filters.is_empty() {
            parts.push(filters.clone());
        }
        if n > 1 {
            parts.push(format!("trang={n}"));
        }
        if !parts.is_empty() {
            u.push('?');
            u.push_str(&parts.join("&"));
        }
        u
    };
    let pagination = Pagination {
        current: page as i64,
        total: pages as i64,
        prev: (page > 1).then(|| url(page - 1)),
        next: (page < pages).then(|| url(page + 1)),
    };
    let people = people
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|u| PersonItem {
            role_label: u.role().label(),
            id: u.id,
            name: u.name,
            email: u.email,
            unit: u.unit_name.unwrap_or_default(),
            is_head: u.is_head,
            active: u.active,
            must_change_password: u.must_change_password,
        })
        .collect();
    let statuses = [
        ("", "Tất cả"),
        ("hoat-dong", "Đang hoạt động"),
        ("da-khoa", "Đã khoá"),
    ]
    .into_iter()
    .map(|(value, label)| StatusOption {
        value,
        label,
        selected: q.trang_thai == value,
    })
    .collect();
    let view = ListView {
        layout: Layout::load(
            &state,
            &ctx,
            "Người dùng",
            "Tài khoản của cán bộ",
            "/admin/nguoi-dung",
        )
        .await?,
        people,
        total,
        q: q.q.clone(),
        roles: role_options(role.map_or("", Role::as_str)),
        units: unit_options(&all_units, unit, &Default::default()),
        statuses,
        filtered: role.is_some() || unit.is_some() || active.is_some() || !needle.is_empty(),
        pagination,
    };
    Ok(Html(state.templates.render("admin/people.html", &view)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_case_and_diacritics() {
        assert!(search_key("Đỗ Thị Hài Lòng").contains(&search_key("do thi hai")));
        assert_eq!(clean_name("  Nguyễn   Văn\tA "), "Nguyễn Văn A");
    }

    #[test]
    fn ids_are_positive_numbers() {
        assert_eq!(parse_id("12").unwrap(), 12);
        for bad in ["0", "-1", "x", "", "1.5"] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
    }
}
