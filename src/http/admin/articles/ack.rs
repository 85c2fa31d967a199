//! The editor's acknowledgment fields (who must confirm having read the article, until when, with
//! which statement) and the minor/major choice when a confirmed article changes.
//!
//! Only editors and admins see and send these fields; a form without them (an author's) leaves
//! the settings alone. A major change needs a reason, which staff read when they confirm again.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::form::{clean, FormErrors};
use crate::ack::{
    format_month_day, parse_month_day, AckSettings, Renewal, StaffAudience, DEFAULT_STATEMENT,
};
use crate::content::front_matter::{format_ack_time, parse_ack_time};
use crate::db::{ack_settings, units, Db, DbError, Tx};
use crate::http::auth::CurrentUser;
use crate::policy::{self, Action, Target};
use crate::time;

/// The name of a unit's checkbox: forms carry no lists, so each unit has its own name.
const UNIT_PREFIX: &str = "ack_unit_";

/// The fields as the browser sends them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AckForm {
    /// "1" when the form carried the fields (editors and admins).
    pub ack_present: String,
    /// "all", "units" or "none".
    pub ack_staff: String,
    pub ack_citizens: Option<String>,
    /// `<input type="date">`: the end of that day in Vietnam.
    pub ack_due: String,
    pub ack_statement: String,
    pub ack_closes: String,
    /// The renewal rule: "none", "days" (`ack_renew_every_days`) or "dates" (`ack_renew_on`,
    /// month-day pairs like "09-01, 03-15", with `ack_renew_due_days`).
    pub ack_renew: String,
    pub ack_renew_every_days: String,
    pub ack_renew_on: String,
    pub ack_renew_due_days: String,
    /// "minor" or "major", when the article already has a version people confirm.
    pub ack_change: String,
    pub ack_reason: String,
    /// Every other field of the form, among them the ticked `ack_unit_{id}` boxes.
    #[serde(flatten, skip_serializing)]
    pub rest: HashMap<String, String>,
}

impl AckForm {
    fn sent(&self) -> bool {
        self.ack_present == "1"
    }

    /// Whether any acknowledgment field came with the form, filled or not.
    fn carries_any(&self) -> bool {
        let named = [
            &self.ack_present,
            &self.ack_staff,
            &self.ack_due,
            &self.ack_statement,
            &self.ack_closes,
            &self.ack_renew,
            &self.ack_renew_every_days,
            &self.ack_renew_on,
            &self.ack_renew_due_days,
            &self.ack_change,
            &self.ack_reason,
        ];
        named.iter().any(|v| !v.is_empty())
            || self.ack_citizens.is_some()
            || self.rest.keys().any(|k| k.starts_with(UNIT_PREFIX))
    }

    fn ticked_units(&self) -> HashSet<i64> {
        self.rest
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|(k, _)| k.strip_prefix(UNIT_PREFIX)?.parse().ok())
            .collect()
    }

    /// The fields showing the stored settings (or the defaults of an article without any).
    fn from_settings(s: Option<&ack_settings::SettingsRow>) -> AckForm {
        let Some(s) = s else {
            return AckForm {
                ack_staff: "none".to_owned(),
                ack_renew: "none".to_owned(),
                ack_statement: DEFAULT_STATEMENT.to_owned(),
                ack_change: "minor".to_owned(),
                ..AckForm::default()
            };
        };
        AckForm {
            ack_present: String::new(),
            ack_staff: if s.staff_all {
                "all"
            } else if s.units.is_empty() {
                "none"
            } else {
                "units"
            }
            .to_owned(),
            ack_citizens: s.citizens.then(|| "on".to_owned()),
            ack_due: s.due_at.map(date_input).unwrap_or_default(),
            ack_statement: s.statement.clone(),
            ack_closes: s.closes_at.map(date_input).unwrap_or_default(),
            ack_renew: match s.renewal() {
                Renewal::None => "none",
                Renewal::EveryDays(_) => "days",
                Renewal::OnDates { .. } => "dates",
            }
            .to_owned(),
            ack_renew_every_days: s
                .renew_every_days
                .map(|n| n.to_string())
                .unwrap_or_default(),
            ack_renew_on: s.renew_on.replace(',', ", "),
            ack_renew_due_days: s.renew_due_days.map(|n| n.to_string()).unwrap_or_default(),
            ack_change: "minor".to_owned(),
            ack_reason: String::new(),
            rest: s
                .units
                .iter()
                .map(|u| (format!("{UNIT_PREFIX}{}", u.id), "on".to_owned()))
                .collect(),
        }
    }
}

/// `yyyy-mm-dd` of the Vietnam day, as `<input type="date">` shows it.
fn date_input(t: DateTime<Utc>) -> String {
    t.with_timezone(&time::vietnam())
        .format("%Y-%m-%d")
        .to_string()
}

/// Messages next to the acknowledgment fields.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AckErrors {
    pub units: Option<String>,
    pub due: Option<String>,
    pub closes: Option<String>,
    pub renew: Option<String>,
    pub reason: Option<String>,
}

impl AckErrors {
    pub fn any(&self) -> bool {
        [
            &self.units,
            &self.due,
            &self.closes,
            &self.renew,
            &self.reason,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

/// What a valid save does to the acknowledgments.
#[derive(Debug, Default)]
pub struct AckPlan {
    /// `None`: leave the settings as they are; `Some(None)`: the article takes none any more.
    settings: Option<Option<(AckSettings, Vec<i64>)>>,
    /// A major change, with its reason.
    major_reason: Option<String>,
}

/// Validates the fields. `article_id` is `None` for a new article.
pub async fn plan(
    db: &Db,
    user: &CurrentUser,
    article_id: Option<i64>,
    form: &AckForm,
) -> crate::error::Result<Result<AckPlan, AckErrors>> {
    if !policy::may(user, Action::EditAcks, Target::Agency) {
        // The form of an author carries none of these fields: one that does was made by hand,
        // and is refused rather than saved without them.
        if form.carries_any() {
            return Err(crate::error::AppError::Forbidden);
        }
        return Ok(Ok(AckPlan::default()));
    }
    if !form.sent() {
        return Ok(Ok(AckPlan::default()));
    }
    let mut errors = AckErrors::default();
    let all_units = units::all(db).await?;
    let ticked = form.ticked_units();
    let chosen: Vec<_> = all_units
        .iter()
        .filter(|u| ticked.contains(&u.id))
        .collect();
    let staff = match form.ack_staff.as_str() {
        "all" => StaffAudience::All,
        "units" if chosen.is_empty() => {
            errors.units = Some("Hãy chọn ít nhất một đơn vị.".to_owned());
            StaffAudience::None
        }
        "units" => StaffAudience::Units(chosen.iter().map(|u| u.slug.clone()).collect()),
        _ => StaffAudience::None,
    };
    let citizens = form.ack_citizens.as_deref().is_some_and(|v| !v.is_empty());
    let date = |text: &str, slot: &mut Option<String>| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match parse_ack_time(text) {
            Ok(t) => Some(t),
            Err(_) => {
                *slot = Some("Ngày không hợp lệ: chọn ngày theo dạng ngày/tháng/năm.".to_owned());
                None
            }
        }
    };
    let due = date(&form.ack_due, &mut errors.due);
    let closes = date(&form.ack_closes, &mut errors.closes);
    let statement = clean(form.ack_statement.trim());
    let statement = if statement.is_empty() {
        DEFAULT_STATEMENT.to_owned()
    } else {
        statement
    };
    let renewal = renewal(form, &mut errors.renew);
    let takes_acks = staff != StaffAudience::None || citizens || errors.units.is_some();
    let has_version = match article_id {
        Some(id) => ack_settings::has_version(db, id).await?,
        None => false,
    };
    let major_reason = if takes_acks && has_version && form.ack_change == "major" {
        let reason = clean(form.ack_reason.trim());
        if reason.is_empty() {
            errors.reason = Some(
                "Thay đổi lớn cần ghi lý do: cán bộ sẽ đọc lý do này khi xác nhận lại.".to_owned(),
            );
        }
        Some(reason)
    } else {
        None
    };
    if errors.any() {
        return Ok(Err(errors));
    }
    let settings = takes_acks.then(|| {
        let ids = chosen.iter().map(|u| u.id).collect();
        let s = AckSettings {
            staff,
            citizens,
            due,
            statement,
            closes,
            renewal,
        };
        (s, ids)
    });
    Ok(Ok(AckPlan {
        settings: Some(settings),
        major_reason,
    }))
}

/// The renewal rule of the form; a message in `slot` when its numbers or dates are wrong.
fn renewal(form: &AckForm, slot: &mut Option<String>) -> Renewal {
    let days = |text: &str, slot: &mut Option<String>| -> Option<u32> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<u32>() {
            Ok(n) if (1..=3650).contains(&n) => Some(n),
            _ => {
                *slot = Some("Số ngày phải là số nguyên từ 1 đến 3650.".to_owned());
                None
            }
        }
    };
    match form.ack_renew.as_str() {
        "days" => match days(&form.ack_renew_every_days, slot) {
            Some(n) => Renewal::EveryDays(n),
            None => {
                slot.get_or_insert_with(|| "Hãy ghi số ngày giữa hai lần xác nhận.".to_owned());
                Renewal::None
            }
        },
        "dates" => {
            let mut dates = Vec::new();
            for part in form
                .ack_renew_on
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                match parse_month_day(part) {
                    Some(d) if !dates.contains(&d) => dates.push(d),
                    Some(_) => {}
                    None => {
                        *slot = Some(format!(
                            "Ngày gia hạn \"{part}\" không hợp lệ: ghi tháng-ngày, ví dụ 09-01."
                        ));
                        return Renewal::None;
                    }
                }
            }
            if dates.is_empty() {
                *slot =
                    Some("Hãy ghi ít nhất một ngày gia hạn (tháng-ngày, ví dụ 09-01).".to_owned());
                return Renewal::None;
            }
            dates.sort_unstable();
            let due_days = days(&form.ack_renew_due_days, slot);
            Renewal::OnDates { dates, due_days }
        }
        _ => Renewal::None,
    }
}

/// Writes the plan, after the article itself was written (a new version takes its new text).
/// Returns what changed, for the audit entry.
pub async fn apply(
    tx: &mut Tx,
    article_id: i64,
    plan: &AckPlan,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let mut detail = Vec::new();
    match &plan.settings {
        None => {}
        Some(None) if ack_settings::settings_tx(tx, article_id).await?.is_some() => {
            ack_settings::remove(tx, article_id).await?;
            detail.push("bỏ yêu cầu xác nhận đã đọc".to_owned());
        }
        Some(None) => {}
        Some(Some((s, ids))) => {
            let before = ack_settings::settings_tx(tx, article_id)
                .await?
                .map(|r| r.to_settings());
            if before.as_ref() != Some(s) {
                ack_settings::save(tx, article_id, s, ids, now).await?;
                detail.push(format!("xác nhận đã đọc: {}", describe(s)));
            }
        }
    }
    if let Some(reason) = &plan.major_reason {
        if let Some(v) =
            ack_settings::new_major_version(tx, article_id, reason, Some(user_id), now).await?
        {
            detail.push(format!("thay đổi lớn, phiên bản xác nhận {v}: {reason}"));
        }
    }
    if let Some(v) = ack_settings::ensure_version(tx, article_id, Some(user_id), now).await? {
        detail.push(format!("phiên bản xác nhận {v}"));
    }
    Ok(detail)
}

fn describe(s: &AckSettings) -> String {
    let mut parts = vec![match &s.staff {
        StaffAudience::None => "không yêu cầu cán bộ".to_owned(),
        StaffAudience::All => "toàn bộ cán bộ".to_owned(),
        StaffAudience::Units(u) => format!("đơn vị {}", u.join(", ")),
    }];
    if s.citizens {
        parts.push("người dân".to_owned());
    }
    if let Some(d) = s.due {
        parts.push(format!("hạn {}", format_ack_time(d)));
    }
    match &s.renewal {
        Renewal::None => {}
        Renewal::EveryDays(n) => parts.push(format!("xác nhận lại sau {n} ngày")),
        Renewal::OnDates { dates, .. } => {
            let on: Vec<String> = dates.iter().map(|d| format_month_day(*d)).collect();
            parts.push(format!("xác nhận lại hằng năm ngày {}", on.join(", ")));
        }
    }
    if let Some(c) = s.closes {
        parts.push(format!("đóng {}", format_ack_time(c)));
    }
    parts.join(", ")
}

/// A unit's checkbox.
#[derive(Serialize)]
struct UnitOption {
    id: i64,
    name: String,
    depth: usize,
    checked: bool,
}

/// The acknowledgment part of the editor.
#[derive(Serialize)]
pub struct AckView {
    units: Vec<UnitOption>,
    /// Offer the minor/major choice: people already confirm a version of this article.
    choose_change: bool,
    current_version: Option<i64>,
}

/// The section for editors and admins (`None` for others). Fills `form` from the stored settings
/// when it did not come from a submitted form.
pub async fn view(
    db: &Db,
    user: &CurrentUser,
    article_id: Option<i64>,
    form: &mut AckForm,
) -> Result<Option<AckView>, DbError> {
    if !policy::may(user, Action::EditAcks, Target::Agency) {
        return Ok(None);
    }
    let stored = match article_id {
        Some(id) => ack_settings::settings(db, id).await?,
        None => None,
    };
    if !form.sent() {
        *form = AckForm::from_settings(stored.as_ref());
    }
    let ticked = form.ticked_units();
    let all = units::all(db).await?;
    let units = units::tree(&all)
        .into_iter()
        .map(|(depth, u)| UnitOption {
            id: u.id,
            name: u.name.clone(),
            depth,
            checked: ticked.contains(&u.id),
        })
        .collect();
    let choose_change = match article_id {
        Some(id) => ack_settings::has_version(db, id).await?,
        None => false,
    };
    Ok(Some(AckView {
        units,
        choose_change,
        current_version: stored.filter(|_| choose_change).map(|s| s.current_version),
    }))
}

/// The article's validation and the acknowledgments', reported together.
pub fn combine<V>(
    valid: Result<V, Box<FormErrors>>,
    plan: Result<AckPlan, AckErrors>,
) -> Result<(V, AckPlan), Box<FormErrors>> {
    match (valid, plan) {
        (Ok(v), Ok(p)) => Ok((v, p)),
        (v, p) => {
            let mut errors = v.err().unwrap_or_default();
            if let Err(a) = p {
                errors.ack = a;
            }
            Err(errors)
        }
    }
}
