//! Staff accounts: roles, e-mail addresses, passwords and their hashing.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};

/// What an account may do. Unit heads are employees (or any role) flagged `is_head`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads and acknowledges.
    Employee,
    /// Writes, submits for review; cannot publish.
    Author,
    /// Publishes anyone's work, runs campaigns and reports.
    Editor,
    /// Everything, including accounts, units and the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Author, Role::Employee];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Employee => "employee",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị",
            Role::Editor => "Biên tập viên",
            Role::Author => "Tác giả",
            Role::Employee => "Cán bộ, công chức",
        }
    }

    /// May enter `/admin` at all.
    pub fn is_staff_writer(self) -> bool {
        self >= Role::Author
    }

    /// May publish, schedule, archive and delete, and edit anyone's article.
    pub fn can_publish(self) -> bool {
        self >= Role::Editor
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vai trò «{0}» không hợp lệ; dùng admin, editor, author hoặc employee")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    /// Accepts the English names and the Vietnamese labels (for CSV files from HR).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == t || r.label().to_lowercase() == t)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// An e-mail address, trimmed and lowercased (so uniqueness ignores case).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("địa chỉ thư điện tử «{0}» không hợp lệ")]
pub struct BadEmail(pub String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, BadEmail> {
        let e = s.trim().to_lowercase();
        let ok = e.len() <= 254
            && !e
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>\"',;".contains(c))
            && match e.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if ok {
            Ok(Email(e))
        } else {
            Err(BadEmail(s.trim().to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the policy. Never logged (no `Display`, redacted `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadPassword {
    #[error("mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự")]
    TooShort,
    #[error("mật khẩu dài quá 200 ký tự")]
    TooLong,
    #[error("mật khẩu không được trùng với địa chỉ thư điện tử")]
    SameAsEmail,
}

impl NewPassword {
    pub fn parse(password: &str, email: &Email) -> Result<NewPassword, BadPassword> {
        let n = password.chars().count();
        if n < MIN_PASSWORD_CHARS {
            Err(BadPassword::TooShort)
        } else if n > 200 {
            Err(BadPassword::TooLong)
        } else if password.trim().to_lowercase() == email.as_str() {
            Err(BadPassword::SameAsEmail)
        } else {
            Ok(NewPassword(password.to_owned()))
        }
    }

    /// A random one-time password (16 letters and digits).
    pub fn random() -> NewPassword {
        NewPassword(Alphanumeric.sample_string(&mut rand::thread_rng(), 16))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// At most this many argon2 runs at once (one per core): each takes tens of milliseconds of CPU
/// and a burst of sign-ins must not starve every other request of the blocking pool.
static ARGON2_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// How long a password check waits for a free slot before the request is answered 429.
const ARGON2_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// All argon2 slots stayed busy for [`ARGON2_WAIT`]: the server is saturated with password checks.
#[derive(Debug, thiserror::Error)]
#[error("máy chủ đang bận kiểm tra mật khẩu")]
pub struct Busy;

/// Runs one argon2 computation on a blocking thread, once a slot is free.
async fn with_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Busy> {
    limited(&ARGON2_SLOTS, ARGON2_WAIT, work).await
}

/// `work` on a blocking thread while holding one of `slots`, waiting at most `wait` for it.
async fn limited<T: Send + 'static>(
    slots: &tokio::sync::Semaphore,
    wait: std::time::Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Busy> {
    let _permit = tokio::time::timeout(wait, slots.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    tokio::task::spawn_blocking(work).await.map_err(|_| Busy)
}

/// Hashes with argon2id on a blocking thread: it takes tens of milliseconds of CPU on purpose.
pub async fn hash_password(password: &NewPassword) -> anyhow::Result<String> {
    let password = password.0.clone();
    with_slot(move || hash_blocking(&password)).await?
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Verifies on a blocking thread. With no hash (unknown account) a dummy hash is checked all the
/// same, so the answer takes as long and timing does not reveal which accounts exist.
/// `Err(Busy)` when no argon2 slot freed up in time (answer 429, count nothing).
pub async fn verify_password(password: &str, hash: Option<String>) -> Result<bool, Busy> {
    let password = password.to_owned();
    with_slot(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && known
    })
    .await
}

static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_blocking("loa-dummy-password-for-timing").expect("hashing a constant works")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_in_both_languages_and_order_by_power() {
        assert_eq!("Editor".parse::<Role>().unwrap(), Role::Editor);
        assert_eq!("Tác giả".parse::<Role>().unwrap(), Role::Author);
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Admin.can_publish() && Role::Editor.can_publish());
        assert!(!Role::Author.can_publish() && Role::Author.is_staff_writer());
        assert!(!Role::Employee.is_staff_writer());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Ba.Nguyen@BinhPhuoc.gov.vn ")
                .unwrap()
                .as_str(),
            "ba.nguyen@binhphuoc.gov.vn"
        );
        for bad in [
            "", "a", "a@b", "@b.vn", "a@@b.vn", "a b@c.vn", "a@b..vn", "a@.b.vn", "<a>@b.vn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy() {
        let e = Email::parse("a@b.vn").unwrap();
        assert_eq!(NewPassword::parse("ngan", &e), Err(BadPassword::TooShort));
        assert!(NewPassword::parse("mat-khau-du-dai", &e).is_ok());
        assert!(
            !format!("{:?}", NewPassword::parse("mat-khau-du-dai", &e).unwrap()).contains("dai")
        );
        assert_eq!(NewPassword::random().expose().len(), 16);
    }

    #[tokio::test]
    async fn slots_bound_the_work_and_a_long_wait_is_busy() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use std::time::Duration;

        let slots = Arc::new(tokio::sync::Semaphore::new(2));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (slots, running, most) = (slots.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                limited(&slots, Duration::from_secs(10), move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_ok());
        }
        assert!(most.load(Ordering::SeqCst) <= 2);
        // Every slot taken: the next one gives up after its wait.
        let _held = slots.acquire_many(2).await.unwrap();
        let r = limited(&slots, Duration::from_millis(50), || ()).await;
        assert!(r.is_err());
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_do() {
        let p = NewPassword::parse("mat-khau-du-dai", &Email::parse("a@b.vn").unwrap()).unwrap();
        let h = hash_password(&p).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mat-khau-du-dai", Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify_password("sai-mat-khau", Some(h)).await.unwrap());
        assert!(!verify_password("loa-dummy-password-for-timing", None)
            .await
            .unwrap());
    }
}
